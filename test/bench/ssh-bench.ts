/**
 * SSH data path benchmark (`npm run bench:ssh`, as root with openssh-server installed): exec round
 * trips per second, and `cat` of a 100 MB text file in MB/s, straight to a real OpenSSH server and
 * through Warden, with ratios from the same run:
 *
 *   masked   a `phi: true` connection: every output line through the gateway's detectors
 *   relayed  the same host as a `phi: false` connection: the SSH relay alone, nothing masked
 *
 * The gateway is the real one (token verification, shell inspection, policy, the audit attempt
 * durable before the command runs, the session recording on disk, output masking), in a child
 * process of its own started as the image starts it. The same ssh2 client, in this process, is
 * used for every path, so the figures compare paths, not clients. One PHI-looking line in ten
 * (an SSN and an MRN) gives the masker work. BENCH_SSH_ROUNDS rounds (default 3), each measuring
 * every path in turn; figures are medians. The last line printed is one JSON object.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ConnectConfig } from 'ssh2';
import { validateConfig } from '../../gateway-image/src/config/load';
import { startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { keygen, startOpenSshServer } from '../../gateway-image/src/sandbox/ssh-host';
import { sshConnection, writeGatewayFiles } from '../support/gateway-stack';
import { askBenchGateway, forkBenchGateway, runBench, serveBenchGateway } from './gateway-process';

const ROUND_TRIPS = Number(process.env.BENCH_SSH_EXECS ?? 100);
const FILE_MB = Number(process.env.BENCH_SSH_FILE_MB ?? 100);
const ROUNDS = Number(process.env.BENCH_SSH_ROUNDS ?? 3);
const AUDIENCE = 'urn:warden:ssh-bench';

function connect(config: ConnectConfig): Promise<Client> {
  const c = new Client();
  return new Promise((resolve, reject) => {
    // ssh2 leaves Nagle on: each exec's small packets would then wait ~40 ms for a delayed ACK,
    // which measures TCP timers, not the data path.
    c.once('ready', () => resolve(c.setNoDelay(true)));
    c.once('error', reject);
    c.connect({ ...config, hostVerifier: () => true });
  });
}

/** Runs one command; resolves with the number of stdout bytes once the channel closes. */
function exec(c: Client, command: string): Promise<number> {
  return new Promise((resolve, reject) =>
    c.exec(command, (err, ch) => {
      if (err) return reject(err);
      let bytes = 0;
      ch.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      ch.stderr.resume();
      ch.once('close', () => resolve(bytes));
    }),
  );
}

async function roundTrips(c: Client): Promise<number> {
  await exec(c, 'true');
  const t = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await exec(c, 'true');
  return ROUND_TRIPS / ((performance.now() - t) / 1000);
}

async function cat(c: Client, file: string, expectBytes: number): Promise<number> {
  const t = performance.now();
  const bytes = await exec(c, `cat ${file}`);
  // Masking changes lengths a little; a short read would be a broken run, not a fast one.
  if (bytes < expectBytes * 0.9) throw new Error(`cat returned ${bytes} of ${expectBytes} bytes`);
  return bytes / 1e6 / ((performance.now() - t) / 1000);
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-ssh-bench-'));
  const closers: (() => Promise<void>)[] = [];
  let child: ChildProcess | undefined;
  try {
    const [sshd, issuer] = await Promise.all([
      startOpenSshServer(),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bench', clientSecret: 'bench-secret', groups: ['agents'] }],
        accessTokenTtlSec: 3600,
      }),
    ]);
    closers.push(
      () => sshd.close(),
      () => issuer.close(),
    );
    const line = 'encounter 2024-01-01 ward 7 note: stable, follow up in two weeks ........\n';
    const phi = 'patient ssn 123-45-6789 mrn MRN00012345 ..................................\n';
    const block = Buffer.from((line.repeat(9) + phi).repeat(1000));
    const file = join(sshd.dir, 'big.txt');
    const copies = Math.ceil((FILE_MB * 1e6) / block.length);
    writeFileSync(file, Buffer.concat(Array.from({ length: copies }, () => block)));
    const fileBytes = copies * block.length;

    keygen(dir, 'gateway_ed25519');
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-bench',
      extra: { 'lab.key': sshd.clientPrivateKey, 'token.key': randomBytes(32).toString('base64') },
    });
    const f = keys.ref;
    const config = {
      version: 1,
      listeners: { ssh: { host: '127.0.0.1', port: 0, hostKey: `file:${join(dir, 'gateway_ed25519')}` } },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        sshConnection('masked', sshd, f('lab.key')),
        { ...sshConnection('relayed', sshd, f('lab.key')), phi: false },
      ],
      access: { grants: [{ name: 'bench', connections: ['masked', 'relayed'], principals: {} }] },
      policy: {
        default: 'deny',
        rules: [{ name: 'exec', decision: 'allow', principals: {}, ssh: { modes: ['exec'] } }],
      },
      masking: { tokenKey: f('token.key') },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
      recording: { dir: join(dir, 'recordings') },
    };
    validateConfig(config, 'bench');
    const started = await forkBenchGateway(__filename, config, { profileDir: process.env.BENCH_PROF });
    child = started.child;
    const token = await issuer.agentToken('bench');
    const through = (connection: string) =>
      connect({ host: '127.0.0.1', port: started.port, username: connection, password: token });
    const clients = {
      direct: await connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKey: sshd.clientPrivateKey,
      }),
      masked: await through('masked'),
      relayed: await through('relayed'),
    };
    type Path = keyof typeof clients;
    const paths = Object.keys(clients) as Path[];
    const execs: Record<Path, number[]> = { direct: [], masked: [], relayed: [] };
    const cats: Record<Path, number[]> = { direct: [], masked: [], relayed: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) execs[p].push(await roundTrips(clients[p]));
      for (const p of paths) cats[p].push(await cat(clients[p], file, fileBytes));
    }
    for (const c of Object.values(clients)) c.end();
    const rss = await askBenchGateway<{ maxRssKiB: number }>(child, 'rss');

    const exec = (p: Path) => median(execs[p]);
    const mbps = (p: Path) => median(cats[p]);
    const result = {
      bench: 'ssh',
      rounds: ROUNDS,
      exec: {
        direct_per_s: round1(exec('direct')),
        warden_per_s: round1(exec('masked')),
        ratio: round2(exec('masked') / exec('direct')),
        relayed_ratio: round2(exec('relayed') / exec('direct')),
      },
      cat: {
        mb: round1(fileBytes / 1e6),
        direct_mb_s: round1(mbps('direct')),
        warden_mb_s: round1(mbps('masked')),
        ratio: round2(mbps('masked') / mbps('direct')),
        relayed_mb_s: round1(mbps('relayed')),
        relayed_ratio: round2(mbps('relayed') / mbps('direct')),
      },
      rounds_exec_per_s: Object.fromEntries(paths.map((p) => [p, execs[p].map(round1)])),
      rounds_cat_mb_s: Object.fromEntries(paths.map((p) => [p, cats[p].map(round1)])),
      rss_mb: Math.round(rss.maxRssKiB / 1024),
    };
    console.log(`${ROUND_TRIPS} exec round trips and cat of ${result.cat.mb} MB, ${ROUNDS} rounds (medians)`);
    console.log(['path', 'exec/s', 'ratio', 'cat MB/s', 'ratio'].join('\t'));
    for (const p of paths) {
      const cells = [exec(p).toFixed(1), (exec(p) / exec('direct')).toFixed(2)];
      console.log([p, ...cells, mbps(p).toFixed(1), (mbps(p) / mbps('direct')).toFixed(2)].join('\t'));
    }
    console.log(`gateway peak RSS ${result.rss_mb} MB`);
    console.log(JSON.stringify(result));
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child!.once('exit', resolve));
    for (const close of closers) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main, () => serveBenchGateway('ssh', { admin: false }));
