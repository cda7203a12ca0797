import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DevLine } from '../support/dev-sandbox';

const root = join(__dirname, '..', '..');
const bin = join(root, 'gateway-image', 'bin', 'warden.js');

function psql(line: DevLine, token: string, db: string, sql: string) {
  return spawnSync(
    'psql',
    [
      `host=${line.postgres.host} port=${line.postgres.port} dbname=${db} user=x sslmode=require`,
      '-XAtc',
      sql,
    ],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: token }, timeout: 20_000 },
  );
}

function postmasterPids(dataDirHint: string): string[] {
  const out = spawnSync('pgrep', ['-f', dataDirHint], { encoding: 'utf8' }).stdout.trim();
  return out === '' ? [] : out.split('\n');
}

describe('warden dev', () => {
  let child: ChildProcessWithoutNullStreams;
  let stateDir: string;
  let line: DevLine;
  let stdoutLines: string[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'warden-dev-test-'));
    child = spawn(process.execPath, [bin, 'dev', '--patients', '2000', '--state-dir', stateDir], {
      cwd: root,
    });
    const lines = createInterface({ input: child.stdout });
    stdoutLines = [];
    line = await new Promise<DevLine>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.once('exit', (code) => reject(new Error(`warden dev exited ${code}: ${stderr}`)));
      lines.on('line', (l) => {
        stdoutLines.push(l);
        if (stdoutLines.length === 1) resolve(JSON.parse(l) as DevLine);
      });
    });
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  it('prints one JSON line describing the sandbox', () => {
    expect(Object.keys(line).sort()).toEqual(
      [
        'adminUrl',
        'auditDir',
        'http',
        'kubernetes',
        'oidcIssuer',
        'postgres',
        'recordingsDir',
        'ssh',
        'tokens',
        'upstream',
      ].sort(),
    );
    expect(line.postgres.connections).toEqual(['patients', 'scratch']);
    expect(line.postgres.port).toBeGreaterThan(0);
    expect(line.upstream.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/patients$/);
    expect(line.auditDir).toBe(join(stateDir, 'audit'));
    for (const token of Object.values(line.tokens)) expect(token.split('.')).toHaveLength(3);
  });

  it('lets the agent read through the gateway with stock psql, under the example policy', () => {
    const count = psql(line, line.tokens.agent, 'patients', 'select count(*) from patients');
    expect(count.stderr).toBe('');
    expect(count.stdout.trim()).toBe('2000');
    const denied = psql(line, line.tokens.agent, 'patients', "select pg_read_file('/etc/passwd')");
    expect(denied.stderr).toContain('deny-dangerous-functions');
    const scratch = psql(
      line,
      line.tokens.human,
      'scratch',
      'create table t(a int); insert into t values (1); select sum(a) from t',
    );
    expect(scratch.stdout.trim().split('\n').at(-1)).toBe('1');
    const badToken = psql(line, 'not-a-token', 'patients', 'select 1');
    expect(badToken.stderr).toMatch(/FATAL/);
  });

  it('reaches the sandbox SSH host and FHIR API only through the gateway, with PHI masked', () => {
    expect(line.ssh).toEqual({ host: '127.0.0.1', port: expect.any(Number), connection: 'lab-host' });
    // Stock OpenSSH with its default authentication order (keyboard-interactive first).
    const ssh = spawnSync(
      'sshpass',
      [
        '-e',
        'ssh',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'LogLevel=ERROR',
        '-p',
        String(line.ssh!.port),
        `lab-host@${line.ssh!.host}`,
        'head -3 exports/patients.csv',
      ],
      { encoding: 'utf8', env: { ...process.env, SSHPASS: line.tokens.agent }, timeout: 20_000 },
    );
    expect(ssh.stderr).toBe('');
    expect(ssh.stdout).toMatch(/^mrn,first_name,last_name,date_of_birth,ssn/);
    expect(ssh.stdout).not.toMatch(/\b\d{3}-\d{2}-\d{4}\b/);
    const curl = spawnSync(
      'curl',
      ['-sk', '-H', `Authorization: Bearer ${line.tokens.agent}`, `${line.http!.url}Patient?_count=5`],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    const bundle = JSON.parse(curl.stdout) as { entry: { resource: { birthDate: string } }[] };
    expect(bundle.entry).toHaveLength(5);
    expect(curl.stdout).not.toMatch(/\b\d{3}-\d{2}-\d{4}\b/);
    for (const e of bundle.entry) expect(e.resource.birthDate).toMatch(/^\d{4}$/);
  });

  it('serves the sandbox Kubernetes API through the gateway to stock kubectl, masked, Secrets denied to the agent', () => {
    expect(line.kubernetes).toEqual({
      url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/ehr-cluster$/),
      connection: 'ehr-cluster',
    });
    const kubectl = (...args: string[]) =>
      spawnSync(
        'kubectl',
        [
          '--server',
          line.kubernetes!.url,
          '--insecure-skip-tls-verify',
          '--token',
          line.tokens.agent,
          '-n',
          'clinical',
          ...args,
        ],
        { encoding: 'utf8', timeout: 20_000, env: { ...process.env, KUBECONFIG: '/dev/null' } },
      );
    const pods = kubectl('get', 'pods');
    expect(pods.stdout).toMatch(/ehr-export-0\s+1\/1\s+Running/);
    const logs = kubectl('logs', 'ehr-export-0');
    expect(logs.stdout.split('\n').filter(Boolean)).toHaveLength(10);
    expect(logs.stdout).not.toMatch(/\b\d{3}-\d{2}-\d{4}\b/);
    expect(kubectl('get', 'secret', 'ehr-db').stderr).toContain('deny-agent-secret-reads');
  });

  it('stops on SIGINT within 10 s whatever is open: exit 0, no process left, an audit log that verifies', async () => {
    const upstreamPort = new URL(line.upstream.url).port;
    const pgEnv = (token: string) => ({ ...process.env, PGPASSWORD: token });
    const conninfo = (db: string) =>
      `host=${line.postgres.host} port=${line.postgres.port} dbname=${db} user=x sslmode=require`;
    const sshArgs = ['-e', 'ssh', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
    const sshTarget = ['-p', String(line.ssh!.port), `lab-host@${line.ssh!.host}`];
    // A mix of sessions a user leaves behind: a statement held for approval, a long query, a COPY
    // waiting for data, a command streaming output nobody reads, an interactive shell, and sockets
    // that connected and never spoke.
    const clients = [
      spawn('psql', [conninfo('patients'), '-c', "select id from patients where ssn = '000-00-0000'"], {
        env: pgEnv(line.tokens.agent),
      }),
      spawn('psql', [conninfo('scratch'), '-c', 'select pg_sleep(600)'], { env: pgEnv(line.tokens.human) }),
      spawn('psql', [conninfo('scratch'), '-c', 'copy items (name) from stdin'], {
        env: pgEnv(line.tokens.human),
      }),
      spawn('sshpass', [...sshArgs, ...sshTarget, 'sleep 600'], {
        env: { ...process.env, SSHPASS: line.tokens.agent },
      }),
      spawn('sshpass', [...sshArgs, '-tt', ...sshTarget], {
        env: { ...process.env, SSHPASS: line.tokens.human },
      }),
    ];
    const idle = [
      line.postgres.port,
      line.ssh!.port,
      Number(new URL(line.http!.url).port),
      Number(new URL(line.kubernetes!.url).port),
    ].map((port) => tcpConnect(port, '127.0.0.1').on('error', () => {}));
    await new Promise((r) => setTimeout(r, 3_000));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = performance.now();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    for (const c of clients) c.kill('SIGKILL');
    for (const s of idle) s.destroy();
    expect(stdoutLines).toHaveLength(1);
    expect(postmasterPids(`-p ${upstreamPort}`)).toEqual([]);
    const verify = execFileSync(
      process.execPath,
      [bin, 'audit', 'verify', line.auditDir, '--public-key', join(stateDir, 'audit-public-key.pem')],
      { encoding: 'utf8' },
    );
    expect(verify).toMatch(/^OK/);
  });
});
