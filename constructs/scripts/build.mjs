#!/usr/bin/env node
/**
 * Builds the package in place: JavaScript and declarations into dist/, and the gateway image's
 * Docker build context into gateway-image/ (the bundle gateway-image/scripts/image-check.mjs
 * makes from the repository's gateway sources). `npm pack` runs it (prepack).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(pkg, '..');
const run = (...args) => execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });

rmSync(join(pkg, 'dist'), { recursive: true, force: true });
run(createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.json'));
run(join(repo, 'gateway-image/scripts/image-check.mjs'), '--build-only', '--out', join(pkg, 'gateway-image'));
