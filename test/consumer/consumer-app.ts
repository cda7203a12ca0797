/**
 * A fresh app outside the repository that installs the packed construct library the way a
 * platform engineer does (README, "Use in your app"): the tarball plus only its peers from the
 * npm registry — served from npm's local cache when it has them (--prefer-offline), which keeps
 * this fast — then compiles one of the examples against the installed declarations.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..');

/** The version of a package installed in the repository, so the consumer gets the tested one. */
export function repoVersion(name: string): string {
  return JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
}

export async function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(cmd, [...args], {
      cwd,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}\n${e.message}`,
    );
  }
}

/** `npm pack ./constructs` (its prepack builds dist/ and the image context); returns the tarball. */
export async function packLibrary(
  dest: string,
): Promise<{ tarball: string; size: number; unpackedSize: number }> {
  const { stdout } = await sh('npm', ['pack', './constructs', '--pack-destination', dest, '--json'], REPO);
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
    filename: string;
    size: number;
    unpackedSize: number;
  }[];
  return { tarball: join(dest, info!.filename), size: info!.size, unpackedSize: info!.unpackedSize };
}

const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

export interface AppSpec {
  readonly dir: string;
  readonly tarball: string;
  /** Registry packages besides the tarball, name → version. */
  readonly packages: Readonly<Record<string, string>>;
  /** Repository files copied into the app (the example), repo path → app path. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Writes the app and installs its registry packages (the peers). Runs while the library is being
 * packed: the tarball is added by `finishApp`.
 */
export async function prepareApp(spec: Omit<AppSpec, 'tarball'>): Promise<void> {
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(
    join(spec.dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`,
  );
  writeFileSync(
    join(spec.dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: true,
        outDir: 'dist',
        rootDir: '.',
        types: ['node'],
      },
      include: ['*.ts'],
    }),
  );
  for (const [from, to] of Object.entries(spec.files)) cpSync(join(REPO, from), join(spec.dir, to));
  const deps = Object.entries(spec.packages).map(([n, v]) => `${n}@${v}`);
  await sh('npm', ['install', ...NPM_FLAGS, ...deps], spec.dir);
}

/** Installs the packed library into a prepared app and compiles the app into dist/. */
export async function finishApp(dir: string, tarball: string): Promise<void> {
  await sh('npm', ['install', ...NPM_FLAGS, tarball], dir);
  await sh(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
}
