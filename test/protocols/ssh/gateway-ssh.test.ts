import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientChannel } from 'ssh2';
import { MAX_SFTP_PACKET_BYTES } from '../../../gateway-image/src/protocols/ssh/subsystem';
import { parseAsciicast, replayOutput } from '../../../gateway-image/src/recording/asciicast';
import { sshdInstalled } from '../../../gateway-image/src/sandbox/ssh-host';
import { type SshHarness, sshThroughGateway, startSshHarness } from './harness';

describe('SSH gateway with OpenSSH on both sides', () => {
  it('has the real OpenSSH server and sshpass to test with', () => {
    // Never skipped: without them this suite would prove nothing. `.ci/run` installs both.
    expect({ sshd: sshdInstalled(), sshpass: existsSync('/usr/bin/sshpass') }).toEqual({
      sshd: true,
      sshpass: true,
    });
  });

  let h: SshHarness;
  let data: string;
  const agent = (command: string, input?: string) =>
    sshThroughGateway(h, { token: 'agent-token', command, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    h = await startSshHarness();
    data = mkdtempSync(join(tmpdir(), 'warden-ssh-data-'));
    writeFileSync(join(data, 'patients.txt'), 'Jane Roe 123-45-6789 MRN00012345\nJohn Doe 987-65-4321\n');
  }, 30_000);
  afterAll(() => h?.close());
  beforeEach(() => {
    h.audit.length = 0;
    h.approve = undefined;
    h.auditDown = false;
    h.revoked = undefined;
  });

  it('runs an allowed exec, streams stdout and returns the exit status', async () => {
    const r = await agent('echo hello && exit 3');
    expect(r).toMatchObject({ code: 3, stdout: 'hello\n' });
    const types = h.audit.map((a) => a.type);
    expect(types.slice(0, 2)).toEqual(['session.start', 'command.attempt']);
    expect(h.audit[1]!.body).toMatchObject({
      facts: { mode: 'exec', programs: ['echo', 'exit'], features: ['sequence'] },
      decision: { outcome: 'allow', rule: 'agents-exec' },
    });
  });

  it('masks PHI in stdout and stderr and audits counts, never values', async () => {
    const r = await agent(`cat ${data}/patients.txt; cat ${data}/patients.txt >&2`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Jane Roe [SSN] [MRN]\nJohn Doe [SSN]\n');
    expect(r.stderr).toBe('Jane Roe [SSN] [MRN]\nJohn Doe [SSN]\n');
    const result = h.audit.find((a) => a.type === 'command.result')!;
    expect(result.body).toMatchObject({ code: 0, masked: { 'SSN:redact': 4, 'MRN:redact': 2 } });
    expect(JSON.stringify(h.audit)).not.toMatch(/123-45-6789/);
    expect(h.recordings.join('')).not.toMatch(/123-45-6789/);
  });

  it('masks every identifier in an output line longer than 64K characters', async () => {
    // No blank anywhere: the line used to be cut wherever a chunk ended, often inside an SSN.
    writeFileSync(join(data, 'long.txt'), `${'123-45-6789,'.repeat(20_000)}\n`);
    const r = await agent(`cat ${data}/long.txt`);
    expect(r).toMatchObject({ code: 0, stdout: `${'[SSN],'.repeat(20_000)}\n` });
    const result = h.audit.find((a) => a.type === 'command.result')!;
    expect(result.body).toMatchObject({ masked: { 'SSN:redact': 20_000 } });
  });

  it('masks the command line in the audit log', async () => {
    await agent('grep 123-45-6789 /dev/null');
    expect(JSON.stringify(h.audit)).not.toMatch(/123-45-6789/);
  });

  it('denies by policy with a stderr line, and nothing runs', async () => {
    const victim = join(data, 'victim');
    writeFileSync(victim, 'x');
    for (const command of [`rm -f ${victim}`, `ls ${data}; rm -f ${victim}`, `sh -c 'rm -f ${victim}'`]) {
      const r = await agent(command);
      expect(r.code).toBe(126);
      expect(r.stderr).toMatch(/warden: denied by Warden policy rule "deny-rm": rm is not allowed/);
      expect(existsSync(victim)).toBe(true);
    }
  });

  it('refuses a command line that cannot be inspected', async () => {
    const r = await agent("echo 'unterminated");
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/cannot be inspected/);
  });

  it('holds for approval: refused without approvals, runs when approved', async () => {
    const file = join(data, 'held');
    let r = await agent(`touch ${file}`);
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/requires approval \(touch needs approval\), and approvals are not available/);
    expect(existsSync(file)).toBe(false);
    h.approve = async () => ({ outcome: 'allow', rule: 'hold-touch' });
    r = await agent(`touch ${file}`);
    expect(r.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const attempts = h.audit.filter((a) => a.type === 'command.attempt').map((a) => a.body);
    // Without approvals the attempt records the hold itself; with them, the rule that held it.
    expect(attempts.at(-2)).toMatchObject({ decision: { outcome: 'require-approval', rule: 'hold-touch' } });
    expect(attempts.at(-2)).not.toHaveProperty('approvalRule');
    expect(attempts.at(-1)).toMatchObject({ approvalRule: 'hold-touch', decision: { outcome: 'allow' } });
  });

  it('refuses the command when the audit log is down', async () => {
    h.auditDown = true;
    const r = await agent('echo never');
    expect(r).toMatchObject({ code: 126, stdout: '' });
    expect(r.stderr).toMatch(/audit log is unavailable/);
  });

  it('refuses an upstream whose host key is not the pinned one', async () => {
    const r = await sshThroughGateway(h, { token: 'agent-token', user: 'impostor', command: 'id' });
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/upstream host key does not match the key pinned/);
  });

  it('refuses bad tokens, unknown connections and principals without a grant', async () => {
    for (const [token, user] of [
      ['wrong-token', 'sandbox'],
      ['agent-token', 'nowhere'],
      ['nogrant-token', 'sandbox'],
    ] as const) {
      const r = await sshThroughGateway(h, { token, user, command: 'id' });
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/Permission denied/);
    }
    expect(h.audit.filter((a) => a.type === 'session.refused').map((a) => a.body['reason'])).toEqual([
      'invalid-token',
      'unknown-connection',
      'no-grant',
    ]);
  });

  it('gives agents no shell, and refuses remote port forwarding', async () => {
    const shell = await sshThroughGateway(h, { token: 'agent-token', args: ['-tt'], input: 'id\nexit\n' });
    expect(shell.stdout + shell.stderr).toMatch(/denied by Warden policy rule "default"/);
    const fwd = await sshThroughGateway(h, {
      token: 'agent-token',
      command: 'true',
      args: ['-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${h.sshd.port}`],
    });
    expect(fwd.code).toBe(255);
    expect(fwd.stderr).toMatch(/forwarding failed/i);
  });

  it('records a human shell as asciicast v2 with input, and masks its output', async () => {
    const before = h.recordings.length;
    const r = await sshThroughGateway(h, {
      token: 'human-token',
      args: ['-tt'],
      input: `cat ${data}/patients.txt\nexit\n`,
    });
    expect(r.stdout).toMatch(/Jane Roe \[SSN\] \[MRN\]/);
    expect(r.stdout).not.toMatch(/123-45-6789/);
    const cast = parseAsciicast(h.recordings[before]!);
    expect(cast.header).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(cast.events.some((e) => e.code === 'i' && e.data.includes('cat'))).toBe(true);
    expect(replayOutput(cast)).toMatch(/Jane Roe \[SSN\] \[MRN\]/);
  });

  it("records a person's shell reading stdin as a shell is recorded: its input included", async () => {
    const before = h.recordings.length;
    const r = await sshThroughGateway(h, { token: 'human-token', command: 'sh', input: 'echo from-stdin\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'from-stdin\n' });
    const cast = parseAsciicast(h.recordings[before]!);
    expect(cast.events.some((e) => e.code === 'i' && e.data.includes('echo from-stdin'))).toBe(true);
    expect(h.audit.find((a) => a.type === 'command.attempt')!.body).toMatchObject({
      facts: { programs: ['sh'], features: ['shell', 'unvetted'] },
      decision: { outcome: 'allow', rule: 'humans-all' },
    });
  });

  it('lets humans use sftp with file names and sizes audited; agents are refused', async () => {
    const target = join(data, 'upload.txt');
    const src = join(data, 'local.txt');
    writeFileSync(src, 'a'.repeat(5000));
    // Commands on stdin rather than -b: batch mode would turn password authentication off.
    const batch = `put ${src} ${target}\nget ${target} ${join(data, 'back.txt')}\n`;
    const r = await sshThroughGateway(h, { token: 'human-token', program: 'sftp', input: batch });
    expect(r.code).toBe(0);
    expect(readFileSync(join(data, 'back.txt'), 'utf8')).toBe('a'.repeat(5000));
    const files = h.audit.filter((a) => a.type === 'sftp.file').map((a) => a.body);
    expect(files).toContainEqual(expect.objectContaining({ op: 'open', path: target, mode: 'w' }));
    expect(files).toContainEqual(expect.objectContaining({ op: 'close', path: target, bytesWritten: 5000 }));
    expect(files).toContainEqual(expect.objectContaining({ op: 'close', path: target, bytesRead: 5000 }));
    const denied = await sshThroughGateway(h, { token: 'agent-token', program: 'sftp', input: batch });
    expect(denied.code).not.toBe(0);
  });

  it('refuses a login whose grant was revoked while the session start was audited', async () => {
    h.revoked = AbortSignal.abort();
    const r = await agent('echo never');
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(h.audit.filter((a) => a.type === 'session.refused').map((a) => a.body['detail'])).toEqual([
      'grant revoked',
    ]);
  });

  it('masks identifiers in sftp file names in the audit log', async () => {
    const target = join(data, 'MRN00012345-123-45-6789.txt');
    const src = join(data, 'named.txt');
    writeFileSync(src, 'x');
    const r = await sshThroughGateway(h, {
      token: 'human-token',
      program: 'sftp',
      input: `put ${src} ${target}\n`,
    });
    expect(r.code).toBe(0);
    expect(existsSync(target)).toBe(true);
    const files = h.audit.filter((a) => a.type === 'sftp.file').map((a) => a.body);
    expect(files).toContainEqual(
      expect.objectContaining({ op: 'open', path: join(data, '[MRN]-[SSN].txt'), mode: 'w' }),
    );
    expect(JSON.stringify(h.audit)).not.toMatch(/123-45-6789|MRN00012345/);
  });

  it('stops an sftp channel on a malformed or oversized packet, forwarding nothing, and keeps serving', async () => {
    const oversized = Buffer.alloc(8);
    oversized.writeUInt32BE(MAX_SFTP_PACKET_BYTES + 1, 0);
    // SSH_FXP_REMOVE (13) with an id but no path: cut short, it cannot be audited.
    const truncated = Buffer.from([0, 0, 0, 5, 13, 0, 0, 0, 1]);
    for (const packet of [oversized, truncated]) {
      const { stderr, closed } = await rawSftp(h.port, packet);
      expect(closed).toBe(true);
      expect(stderr).toMatch(/warden: a malformed sftp packet, so the transfer is stopped/);
      expect(h.audit.filter((a) => a.type === 'sftp.file')).toEqual([]);
    }
    expect(await agent('echo still here')).toMatchObject({ code: 0, stdout: 'still here\n' });
  });
});

/** Opens the sftp subsystem as the human with ssh2, writes `bytes`, and waits for the channel to close. */
async function rawSftp(port: number, bytes: Buffer): Promise<{ stderr: string; closed: boolean }> {
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ host: '127.0.0.1', port, username: 'sandbox', password: 'human-token' });
  });
  try {
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.subsys('sftp', (err, ch) => (err ? reject(err) : resolve(ch))),
    );
    let stderr = '';
    channel.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    channel.on('data', () => {});
    const closed = new Promise<boolean>((resolve) => {
      channel.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5_000).unref();
    });
    channel.write(bytes);
    const wasClosed = await closed;
    // stderr data that came in with the close is emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    return { stderr, closed: wasClosed };
  } finally {
    client.end();
  }
}
