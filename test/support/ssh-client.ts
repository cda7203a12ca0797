/**
 * Stock OpenSSH (`ssh` or `sftp`) through the gateway, as an agent or a person connects: the SSH
 * user name is the connection, the Warden token is typed in by sshpass, and the gateway's host
 * key is pinned in `knownHosts`.
 */
import { spawn } from 'node:child_process';

export interface OpenSshRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface OpenSshClientOptions {
  /** The gateway's SSH port on 127.0.0.1. */
  readonly port: number;
  /** A known_hosts file holding the gateway's host key for `[127.0.0.1]:<port>`. */
  readonly knownHosts: string;
  readonly token: string;
  /** The Warden connection name. */
  readonly user: string;
  /** @default none: a shell (ssh) or commands read from `input` (sftp) */
  readonly command?: string;
  /** Extra client arguments before the destination. @default none */
  readonly args?: readonly string[];
  /** Written to the client's stdin, which is then closed. @default '' */
  readonly input?: string;
  /** @default 'ssh' */
  readonly program?: 'ssh' | 'sftp';
}

export function runOpenSsh(o: OpenSshClientOptions): Promise<OpenSshRun> {
  const program = o.program ?? 'ssh';
  const args = [
    '-e',
    program,
    program === 'ssh' ? '-p' : '-P',
    String(o.port),
    '-o',
    `UserKnownHostsFile=${o.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'PreferredAuthentications=password',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'NumberOfPasswordPrompts=1',
    ...(o.args ?? []),
    `${o.user}@127.0.0.1`,
    ...(o.command === undefined ? [] : [o.command]),
  ];
  // The token travels in the environment, never on a command line other processes can read.
  const child = spawn('sshpass', args, { env: { ...process.env, SSHPASS: o.token }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(o.input ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
