/**
 * A real OpenSSH server on a loopback port, with its own host key, client key and config in a temp
 * dir: the sandbox SSH host of `warden dev` (reachable only through the gateway, which alone holds
 * the client key) and the upstream of the SSH tests and benchmark. It logs in the current user by
 * public key only.
 *
 * Sessions get HOME set to a directory of their own (`SetEnv HOME=…`). bash, when started by sshd,
 * sources `$HOME/.bashrc` even for `ssh host cmd`; pointing HOME away from the real one keeps the
 * developer's dotfiles (pyenv/nvm init and the like, hundreds of ms per exec) out of every command,
 * and lets the sandbox's own .bashrc start commands in the directory holding its files.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { freeLoopbackPort } from './embedded-postgres';
import { generateHospital, type PatientRow } from './hospital';

export const SSHD = '/usr/sbin/sshd';
/** Keeps the last part of sshd's stderr only: a long sandbox run must not grow without bound. */
const MAX_LOG_CHARS = 256 * 1024;

export interface OpenSshServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The account sessions run as (the current user). */
  readonly user: string;
  /** Temp dir holding keys, config and `home/`; removed by `close()`. */
  readonly dir: string;
  /** PID of the sshd process. */
  readonly pid: number | undefined;
  /** HOME of every session. */
  readonly home: string;
  /** The server's OpenSSH public key line ("ssh-ed25519 AAAA…"): what a connection pins. */
  readonly hostKey: string;
  /** The client private key (OpenSSH format) the server accepts, and its file. */
  readonly clientPrivateKey: string;
  readonly clientKeyFile: string;
  /** Server log (stderr) so far. */
  log(): string;
  close(): Promise<void>;
}

export interface OpenSshServerOptions {
  /** Files to create under the session home: relative path → content. @default none */
  readonly files?: Readonly<Record<string, string>>;
  /** Extra sshd_config lines. @default none */
  readonly config?: readonly string[];
}

/** sshd runs here only when installed; as a non-root user it cannot log anyone in, so root is required too. */
export function sshdInstalled(): boolean {
  return existsSync(SSHD) && process.getuid?.() === 0;
}

/** Generates an ed25519 key pair with ssh-keygen; returns the private key file path. */
export function keygen(dir: string, name: string): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { stdio: 'pipe' });
  return file;
}

/** "ssh-ed25519 AAAA…" without the comment, from a `.pub` file. */
export function publicKeyLine(pubFile: string): string {
  return readFileSync(pubFile, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

export async function startOpenSshServer(opts: OpenSshServerOptions = {}): Promise<OpenSshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-sshd-'));
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  for (const [path, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(home, path)), { recursive: true });
    writeFileSync(join(home, path), content, { mode: 0o600 });
  }
  const hostKey = keygen(dir, 'host_ed25519');
  const clientKey = keygen(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  // sshd insists on its privilege-separation directory even when it does not use it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freeLoopbackPort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'UsePAM no',
    'UseDNS no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    `SetEnv HOME=${home}`,
    'AllowTcpForwarding yes',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
    'MaxSessions 50',
    'MaxStartups 50',
    ...(opts.config ?? []),
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  let log = '';
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-MAX_LOG_CHARS);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log}`)), 10_000);
      const check = () => {
        if (/Server listening/.test(log)) {
          clearTimeout(timer);
          child.stderr!.off('data', check);
          resolve();
        }
      };
      child.stderr!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited with ${code}:\n${log}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    pid: child.pid,
    home,
    hostKey: publicKeyLine(`${hostKey}.pub`),
    clientPrivateKey: readFileSync(clientKey, 'utf8'),
    clientKeyFile: clientKey,
    log: () => log,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SandboxSshHostOptions {
  /** Patients in the CSV export. @default 200 */
  readonly patients?: number;
  /** @default 1 (the same hospital as the sandbox database's first patients) */
  readonly seed?: number;
}

/**
 * The `warden dev` SSH host: OpenSSH with a home holding synthetic PHI an agent might grep, an
 * EHR CSV export, a JSON admissions extract, an admissions log excerpt and a discharge note, so
 * masking of command output has something real to do. Commands start in that home.
 */
export function startSandboxSshHost(opts: SandboxSshHostOptions = {}): Promise<OpenSshServer> {
  const hospital = generateHospital({ patients: opts.patients ?? 200, seed: opts.seed ?? 1 });
  const byId = new Map(hospital.patients.map((p) => [p.id, p]));
  const csv = [
    'mrn,first_name,last_name,date_of_birth,ssn,phone,email,street,city,state,zip',
    ...hospital.patients.map((p) =>
      [
        p.mrn,
        p.firstName,
        p.lastName,
        p.dateOfBirth,
        p.ssn,
        p.phone,
        p.email,
        p.street,
        p.city,
        p.state,
        p.zip,
      ]
        .map(csvField)
        .join(','),
    ),
  ];
  const log = hospital.encounters.slice(0, 300).map((e) => {
    const p = byId.get(e.patientId) as PatientRow;
    return `${e.admittedAt} INFO adt.admit encounter=${e.id} mrn=${p.mrn} patient="${p.lastName}, ${p.firstName}" dob=${p.dateOfBirth} dept=${e.department} dx=${e.diagnosisCodes.join('|')}`;
  });
  // The same admissions as a JSON extract, patients nested in encounters (for masking by member).
  const admissions = hospital.encounters.slice(0, 20).map((e) => {
    const p = byId.get(e.patientId) as PatientRow;
    return {
      encounter: e.id,
      admittedAt: e.admittedAt,
      department: e.department,
      patient: {
        mrn: p.mrn,
        name: { given: p.firstName, family: p.lastName },
        birthDate: p.dateOfBirth,
        ssn: p.ssn,
        phone: p.phone,
      },
    };
  });
  const first = hospital.encounters[0]!;
  return startOpenSshServer({
    files: {
      // Non-interactive bash sources this for every exec (see the module comment).
      '.bashrc': 'cd "$HOME" 2>/dev/null\n',
      '.profile': 'cd "$HOME" 2>/dev/null\n',
      'exports/patients.csv': `${csv.join('\n')}\n`,
      'exports/recent-admissions.json': `${JSON.stringify(admissions, null, 2)}\n`,
      'logs/adt-excerpt.log': `${log.join('\n')}\n`,
      'notes/discharge-summary.txt': `DISCHARGE SUMMARY\n\n${first.note}\n`,
      'README.txt':
        'Warden sandbox host. Synthetic PHI only (generated, no real people).\n' +
        'Try: head exports/patients.csv; grep -c admit logs/adt-excerpt.log\n',
    },
  });
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
