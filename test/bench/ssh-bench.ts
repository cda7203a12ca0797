/**
 * SSH data path benchmark: exec round trips per second and `cat` of a 100 MB text file in MB/s,
 * straight to a real OpenSSH server and through Warden (masking on), with ratios from one run.
 * The same ssh2 client is used for both paths, so the figures compare the paths, not clients.
 * Run as root with openssh-server installed: `npx tsx test/bench/ssh-bench.ts` (npm run bench:ssh).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ConnectConfig } from 'ssh2';
import { type SshHarness, startSshHarness } from '../protocols/ssh/harness';

const ROUND_TRIPS = Number(process.env.BENCH_SSH_EXECS ?? 100);
const FILE_MB = Number(process.env.BENCH_SSH_FILE_MB ?? 100);

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

async function measure(c: Client, file: string): Promise<{ execsPerSec: number; mbPerSec: number }> {
  await exec(c, 'true');
  let t = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await exec(c, 'true');
  const execsPerSec = ROUND_TRIPS / ((performance.now() - t) / 1000);
  t = performance.now();
  const bytes = await exec(c, `cat ${file}`);
  const mbPerSec = bytes / 1e6 / ((performance.now() - t) / 1000);
  return { execsPerSec, mbPerSec };
}

async function main(): Promise<void> {
  const h: SshHarness = await startSshHarness();
  try {
    // Text with a PHI-looking value on every tenth line, so the masker has work to do.
    const line = 'encounter 2024-01-01 ward 7 note: stable, follow up in two weeks ........\n';
    const phi = 'patient ssn 123-45-6789 mrn MRN00012345 ..................................\n';
    const block = Buffer.from((line.repeat(9) + phi).repeat(1000));
    const file = join(h.sshd.dir, 'big.txt');
    const copies = Math.ceil((FILE_MB * 1e6) / block.length);
    writeFileSync(file, Buffer.concat(Array.from({ length: copies }, () => block)));

    const direct = await connect({
      host: h.sshd.host,
      port: h.sshd.port,
      username: h.sshd.user,
      privateKey: h.sshd.clientPrivateKey,
    });
    const gateway = await connect({
      host: '127.0.0.1',
      port: h.port,
      username: 'sandbox',
      password: 'human-token',
    });
    const d = await measure(direct, file);
    const w = await measure(gateway, file);
    direct.end();
    gateway.end();
    const fmt = (n: number) => n.toFixed(1);
    const rows = [
      [
        'exec round trips/s',
        fmt(d.execsPerSec),
        fmt(w.execsPerSec),
        (w.execsPerSec / d.execsPerSec).toFixed(2),
      ],
      [`cat ${FILE_MB} MB (MB/s)`, fmt(d.mbPerSec), fmt(w.mbPerSec), (w.mbPerSec / d.mbPerSec).toFixed(2)],
    ];
    console.log(['metric', 'direct', 'warden', 'ratio'].join('\t'));
    for (const r of rows) console.log(r.join('\t'));
  } finally {
    await h.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
