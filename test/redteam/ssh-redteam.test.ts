/**
 * Red team of the SSH data path (issue 21, findings 4–7, and variants of each): the real gateway
 * wiring with the example config's policy, masking profiles and lab-host file classification, the
 * sandbox OpenSSH host as upstream, and stock `ssh`, `scp` and `rsync` (through sshpass) as
 * clients. Every case checks what the client saw, what is left on the host, and what the audit
 * log's `command.attempt` says ran and which rule decided.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../gateway-image/src/config/load';
import { startSsh } from '../../gateway-image/src/gateway/listeners';
import { createGatewayServices, type GatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { generateHospital } from '../../gateway-image/src/sandbox/hospital';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  sshdInstalled,
  startSandboxSshHost,
} from '../../gateway-image/src/sandbox/ssh-host';
import { readAuditLines } from '../support/audit-lines';
import { EXAMPLE_CONFIG } from '../support/example-config';
import { sshConnection, writeGatewayFiles } from '../support/gateway-stack';
import { type OpenSshRun, runOpenSsh } from '../support/ssh-client';
import { REFUSALS, VICTIM, type Who } from './ssh-redteam-cases';

const AUDIENCE = 'urn:warden:ssh-redteam';
const hospital = generateHospital({ patients: 200, seed: 1 });
const PRECIOUS = 'precious\n';

interface Attempt {
  readonly type: string;
  readonly body: {
    readonly outcome?: string;
    readonly reason?: string;
    readonly commandLine?: string;
    readonly facts?: {
      readonly mode: string;
      readonly commandLine?: string;
      readonly programs: string[];
      readonly features: string[];
      readonly commands?: { program: string; features: string[]; notes?: string[] }[];
      readonly classifiedFiles?: string[];
    };
    readonly decision?: { outcome: string; rule?: string; program?: string };
  };
}

describe('SSH red team: every spelling ends refused and audited truthfully', () => {
  let dir: string;
  let issuer: LocalIssuer;
  let host: OpenSshServer;
  let services: GatewayServices;
  let port: number;
  const tokens: Record<Who, string> = { agent: '', human: '' };
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    // Never skipped: without the real server and clients this suite would prove nothing.
    expect({
      sshd: sshdInstalled(),
      sshpass: existsSync('/usr/bin/sshpass'),
      scp: existsSync('/usr/bin/scp'),
      rsync: existsSync('/usr/bin/rsync'),
    }).toEqual({ sshd: true, sshpass: true, scp: true, rsync: true });
    dir = await mkdtemp(join(tmpdir(), 'warden-ssh-redteam-'));
    [issuer, host] = await Promise.all([
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'red-bot', clientSecret: 'red-bot-secret', groups: ['agents'] }],
        users: [{ id: 'dana', groups: ['clinicians'] }],
      }),
      startSandboxSshHost({ patients: 200, seed: 1 }),
    ]);
    const example = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
    const labHost = example.connections.find((c: { name: string }) => c.name === 'lab-host');
    const gatewayKey = keygen(dir, 'gateway_ed25519');
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      extra: { 'lab.key': host.clientPrivateKey, 'token.key': randomBytes(32).toString('base64') },
    });
    const config = validateConfig({
      version: 1,
      listeners: { ssh: { host: '127.0.0.1', port: 0, hostKey: keys.ref('gateway_ed25519') } },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE], kind: example.identity.issuers[0].kind }],
      },
      connections: [{ ...sshConnection('lab-host', host, keys.ref('lab.key')), files: labHost.files }],
      access: {
        grants: [
          { name: 'lab', connections: ['lab-host'], principals: { groups: ['agents', 'clinicians'] } },
        ],
      },
      // The example's policy is the default agent policy (test/policy/engine.test.ts pins that).
      policy: example.policy,
      masking: { ...example.masking, tokenKey: keys.ref('token.key') },
      audit: { dir: join(dir, 'audit'), signingKey: keys.ref('audit.key') },
    });
    services = await createGatewayServices(config, { logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }) });
    closers.push(() => services.close());
    port = (await startSsh(services, closers))!.port;
    await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`);
    [tokens.agent, tokens.human] = await Promise.all([
      issuer.agentToken('red-bot'),
      issuer.userToken('dana'),
    ]);
    mkdirSync(join(host.home, 'keep'), { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await Promise.all([host?.close(), issuer?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => writeFileSync(join(host.home, VICTIM), PRECIOUS));

  const ssh = (who: Who, command: string, input?: string): Promise<OpenSshRun> =>
    runOpenSsh({
      port,
      knownHosts: join(dir, 'known_hosts'),
      token: tokens[who],
      user: 'lab-host',
      command,
      ...(input === undefined ? {} : { input }),
    });

  /** Stock scp or rsync through the gateway, the token typed in by sshpass. */
  function transferClient(program: 'scp' | 'rsync', args: string[]): Promise<OpenSshRun> {
    const sshOptions = [
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'PreferredAuthentications=password',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'LogLevel=ERROR',
    ];
    const full =
      program === 'scp'
        ? ['-P', String(port), ...sshOptions, ...args]
        : ['-e', `ssh -p ${port} ${sshOptions.join(' ')}`, ...args];
    const child = spawn('sshpass', ['-e', program, ...full], {
      env: { ...process.env, SSHPASS: tokens.agent },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  async function auditEvents(type: string): Promise<{ type: string; body: Record<string, unknown> }[]> {
    const events = await readAuditLines<{ type: string; body: Record<string, unknown> }>(join(dir, 'audit'));
    return events.filter((e) => e.type === type);
  }

  async function attempts(): Promise<Attempt[]> {
    return (await auditEvents('command.attempt')) as unknown as Attempt[];
  }

  /** The latest command.attempt for this exact command line. */
  async function attemptFor(command: string): Promise<Attempt> {
    const found = (await attempts()).filter(
      (e) => (e.body.facts?.commandLine ?? e.body.commandLine) === command,
    );
    expect(found.length).toBeGreaterThan(0);
    return found[found.length - 1]!;
  }

  function expectVictimIntact(): void {
    expect(readFileSync(join(host.home, VICTIM), 'utf8')).toBe(PRECIOUS);
  }

  /** What each case sends on stdin: a shell reading stdin is sent the deletion it would run. */
  const STDIN = `rm ${VICTIM}\n`;

  it.each(REFUSALS)('refuses %s (%s): %s', async (_name, who, command, rule, program, feature) => {
    const r = await ssh(who, command, STDIN);
    expect(r.code).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`rule "${rule}"`);
    expectVictimIntact();
    const a = await attemptFor(command);
    expect(a.body.decision).toMatchObject({ outcome: 'deny', rule, program });
    expect(a.body.facts!.programs).toContain(program);
    expect(a.body.facts!.commands).toContainEqual(
      expect.objectContaining({ program, features: expect.arrayContaining([feature]) }),
    );
  });

  it.each([
    ['PATH set to steer names', `PATH=/usr/bin:/bin rm ${VICTIM}`, /setting PATH changes which programs run/],
    ['env -S', `env -S 'rm ${VICTIM}'`, /env -S cannot be inspected/],
    [
      'strace',
      `strace -o /dev/null rm ${VICTIM}`,
      /strace runs a program in a way the gateway does not follow/,
    ],
    [
      'sudo with an option it does not know',
      `sudo --bogus rm ${VICTIM}`,
      /sudo --bogus: an option the gateway does not know/,
    ],
    ['hash -p', `hash -p /bin/rm ls; ls ${VICTIM}`, /changes what command names mean/],
    ['a computed sh -c script', `s='rm ${VICTIM}'; sh -c "$s"`, /sh with a computed argument/],
  ])('refuses a line it cannot inspect: %s', async (_name, command, why) => {
    const r = await ssh('human', command);
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/warden: the command line cannot be inspected \(/);
    expect(r.stderr).toMatch(why);
    expectVictimIntact();
    const a = await attemptFor(command);
    expect(a.body).toMatchObject({ outcome: 'not-inspectable', reason: expect.stringMatching(why) });
  });

  it('refuses scp -O in both directions (exec scp -f / scp -t), and scp over sftp', async () => {
    const local = join(dir, 'copied.csv');
    const down = await transferClient('scp', ['-O', 'lab-host@127.0.0.1:exports/patients.csv', local]);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toContain('rule "deny-agent-file-transfers"');
    expect(existsSync(local)).toBe(false);
    expect((await attemptFor('scp -f exports/patients.csv')).body.decision).toMatchObject({
      rule: 'deny-agent-file-transfers',
      program: 'scp',
    });
    writeFileSync(local, 'uploaded\n');
    const up = await transferClient('scp', ['-O', local, `lab-host@127.0.0.1:${VICTIM}`]);
    expect(up.code).not.toBe(0);
    expectVictimIntact();
    expect((await attemptFor(`scp -t ${VICTIM}`)).body.decision).toMatchObject({
      rule: 'deny-agent-file-transfers',
    });
    const sftp = await transferClient('scp', [
      'lab-host@127.0.0.1:exports/patients.csv',
      join(dir, 'sftp.csv'),
    ]);
    expect(sftp.code).not.toBe(0);
    expect(existsSync(join(dir, 'sftp.csv'))).toBe(false);
    const subsystem = (await attempts()).filter((e) => e.body.facts?.mode === 'subsystem').pop();
    expect(subsystem?.body.decision).toMatchObject({ outcome: 'deny', rule: 'deny-agent-interactive-ssh' });
  });

  it('refuses rsync (exec rsync --server)', async () => {
    const local = join(dir, 'rsynced.csv');
    const r = await transferClient('rsync', ['lab-host@127.0.0.1:exports/patients.csv', local]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('rule "deny-agent-file-transfers"');
    expect(existsSync(local)).toBe(false);
    const a = (await attempts()).filter((e) => e.body.facts?.programs.includes('rsync')).pop();
    expect(a?.body.decision).toMatchObject({
      outcome: 'deny',
      rule: 'deny-agent-file-transfers',
      program: 'rsync',
    });
  });

  /** Every identifying value of these patients, none of which may reach an agent. */
  function expectNoRaw(text: string, patients: typeof hospital.patients): void {
    for (const p of patients) {
      for (const v of [p.dateOfBirth, p.ssn, p.phone, p.email, p.street]) expect(text).not.toContain(v);
      for (const name of [p.firstName, p.lastName]) expect(text).not.toMatch(new RegExp(`\\b${name}\\b`));
    }
  }

  it('masks plain head -2 of the CSV export by column, as Postgres masks the columns', async () => {
    const command = 'head -2 exports/patients.csv';
    const r = await ssh('agent', command);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trimEnd().split('\n');
    expect(header).toBe('mrn,first_name,last_name,date_of_birth,ssn,phone,email,street,city,state,zip');
    const p = hospital.patients[0]!;
    const fields = row!.split(',');
    expect(fields[0]).toMatch(/^tok_/);
    expect(fields.slice(1, 3)).toEqual(['[NAME]', '[NAME]']);
    expect(fields[3]).toBe(p.dateOfBirth.slice(0, 4));
    expect(fields[4]).toBe(`***-**-${p.ssn.slice(-4)}`);
    expect(fields.slice(5, 9)).toEqual(['[PHONE]', '[EMAIL]', '[ADDRESS]', '[ADDRESS]']);
    expect(fields[9]).toBe(p.state);
    expectNoRaw(r.stdout, [p]);
    const a = await attemptFor(command);
    expect(a.body.decision).toMatchObject({ outcome: 'allow' });
    expect(a.body.facts).toMatchObject({ programs: ['head'], classifiedFiles: ['exports/patients.csv'] });
  });

  it.each([
    ['cat', 'cat exports/patients.csv', 201],
    ['tail', 'tail -n 5 exports/patients.csv', 5],
    ['sort | head', 'sort -t, -k3 exports/patients.csv | head -n 20', 20],
    ['< redirection', 'cat < exports/patients.csv', 201],
    ['a path through ..', 'head -n 8 ./exports/../exports//patients.csv', 8],
    ['an absolute path', 'HOME_PATH', 30],
    ['uniq and tac behind wrappers', 'timeout 5 nice tac exports/patients.csv | uniq', 201],
  ])('masks the CSV export read with %s', async (_name, written, lines) => {
    const command = written === 'HOME_PATH' ? `head -n 30 ${host.home}/exports/patients.csv` : written;
    const r = await ssh('agent', command);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    if (lines > 0) expect(out).toHaveLength(lines);
    else expect(out.length).toBeGreaterThan(0);
    expect(r.stdout).toContain('[NAME],[NAME]');
    expectNoRaw(r.stdout, hospital.patients);
    expect((await attemptFor(command)).body.decision).toMatchObject({ outcome: 'allow' });
  });

  it('masks classified rows sent to stderr too', async () => {
    const r = await ssh('agent', 'head -3 exports/patients.csv >&2');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('[NAME],[NAME]');
    expectNoRaw(r.stderr, hospital.patients);
  });

  it('leaves counts alone: a line that only counts a classified file shows none of its lines', async () => {
    const wc = await ssh('agent', 'wc -l exports/patients.csv');
    expect(wc).toMatchObject({ code: 0, stdout: '201 exports/patients.csv\n' });
    const grep = await ssh('human', 'grep -c , exports/patients.csv');
    expect(grep).toMatchObject({ code: 0, stdout: '201\n' });
  });

  // Masked lines still say which lines matched: their number, a count or an exit status is an
  // oracle, and a prefix search recovers a value digit by digit (`grep -c '^…,123-4'`).
  it.each([
    ['the lines matching a name', `grep -i ${hospital.patients[3]!.lastName} exports/patients.csv`],
    ['a count of an SSN prefix', `grep -c ,${hospital.patients[3]!.ssn.slice(0, 5)} exports/patients.csv`],
    ['the exit status alone', `grep -q ${hospital.patients[3]!.ssn} exports/patients.csv`],
    [
      'a search of its lines on a pipe',
      `cat exports/patients.csv | grep -c ${hospital.patients[3]!.lastName}`,
    ],
    ['egrep behind a wrapper', `timeout 5 egrep -l ${hospital.patients[3]!.lastName} exports/patients.csv`],
    ['patterns from a file, on a pipe', 'cat exports/patients.csv | grep -c -f notes/discharge-summary.txt'],
    ['standard input named -', `head -n 50 exports/patients.csv | grep -q ${hospital.patients[3]!.ssn} -`],
  ])('refuses an agent searching a classified file by content: %s', async (_name, command) => {
    const r = await ssh('agent', command);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('deny-agent-searches-classified-files');
    expectNoRaw(r.stderr, hospital.patients.slice(3, 4));
    // The audited line is masked as any command line is (an SSN in it never reaches the log).
    const a = (await attempts()).at(-1)!;
    expect(a.body.decision).toMatchObject({ outcome: 'deny', rule: 'deny-agent-searches-classified-files' });
    expect(a.body.facts?.features).toContain('search');
    expect(JSON.stringify(a.body)).not.toContain(hospital.patients[3]!.ssn);
  });

  it('lets a person search one, masked by their own profile', async () => {
    const r = await ssh('human', `grep -i ${hospital.patients[3]!.lastName} exports/patients.csv`);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(hospital.patients[3]!.ssn);
  });

  it('masks the JSON extract by member, whole or line by line', async () => {
    const admitted = new Set(hospital.encounters.slice(0, 20).map((e) => e.patientId));
    const patients = hospital.patients.filter((p) => admitted.has(p.id));
    const cat = await ssh('agent', 'cat exports/recent-admissions.json');
    expect(cat.code).toBe(0);
    expect(cat.stdout).toContain('"given":"[NAME]"');
    expect(cat.stdout).toMatch(/"ssn":"\*\*\*-\*\*-\d{4}"/);
    expectNoRaw(cat.stdout, patients);
    const lines = await ssh('agent', 'head -n 120 exports/recent-admissions.json');
    expect(lines.code).toBe(0);
    expect(lines.stdout).toMatch(/"birthDate": ?"\d{4}"/);
    expectNoRaw(lines.stdout, patients);
  });

  it("masks a person's reads with their own profile (clinicians see names, not full SSNs or dates of birth)", async () => {
    const r = await ssh('human', 'head -2 exports/patients.csv');
    expect(r.code).toBe(0);
    const p = hospital.patients[0]!;
    const fields = r.stdout.trimEnd().split('\n')[1]!.split(',');
    expect(fields.slice(1, 3)).toEqual([p.firstName, p.lastName]);
    expect(fields[3]).toBe(p.dateOfBirth.slice(0, 4));
    expect(r.stdout).not.toContain(p.ssn);
    expect(r.stdout).not.toContain(p.dateOfBirth);
  });

  it('refuses a classified read whose header cannot be read or names no classified column', async () => {
    writeFileSync(join(host.home, 'exports/tabbed.csv'), 'mrn\tfirst_name\tssn\nMRN1\tJane\t123-45-6789\n');
    const tabbed = await ssh('agent', 'head -2 exports/tabbed.csv');
    expect(tabbed).toMatchObject({ code: 126, stdout: '' });
    expect(tabbed.stderr).toContain('names none of its classified columns');
    const missing = await ssh('agent', 'head -2 exports/missing.csv');
    expect(missing).toMatchObject({ code: 126, stdout: '' });
    expect(missing.stderr).toContain(
      'could not read the header row of the classified file exports/missing.csv',
    );
    const results = await auditEvents('command.result');
    expect(results.map((e) => e.body['failure']).slice(-2)).toEqual([
      'header-mismatch',
      'header-unavailable',
    ]);
  });

  it("refuses a classified file over a person's sftp (not opened, renamed or linked), and deletion", async () => {
    const local = join(dir, 'sftp-get.csv');
    // sftp starts in the account's own home, not the sandbox's: paths are absolute.
    const home = host.home;
    const batch = [
      `get ${home}/exports/patients.csv ${local}`,
      `rename ${home}/exports/patients.csv ${home}/exports/renamed.txt`,
      `ln ${home}/exports/patients.csv ${home}/exports/linked.txt`,
      `get ${home}/README.txt ${join(dir, 'readme.txt')}`,
      `rm ${home}/${VICTIM}`,
    ].join('\n');
    const r = await runOpenSsh({
      port,
      knownHosts: join(dir, 'known_hosts'),
      token: tokens.human,
      user: 'lab-host',
      program: 'sftp',
      input: `${batch}\n`,
    });
    expect(existsSync(local)).toBe(false);
    expect(existsSync(join(host.home, 'exports/patients.csv'))).toBe(true);
    expect(existsSync(join(host.home, 'exports/renamed.txt'))).toBe(false);
    expect(existsSync(join(host.home, 'exports/linked.txt'))).toBe(false);
    // Other files still transfer.
    expect(readFileSync(join(dir, 'readme.txt'), 'utf8')).toContain('Warden sandbox host');
    expect(r.stderr).toMatch(/Permission denied/);
    const refused = (await auditEvents('sftp.file')).filter((e) => e.body['refused'] === 'classified-file');
    expect(refused.map((e) => e.body['op'])).toEqual(['open', 'rename', 'link']);
    // Deleting over sftp is refused by the rule that refuses rm.
    expectVictimIntact();
    const removal = (await auditEvents('sftp.file')).find((e) => e.body['op'] === 'remove');
    expect(removal?.body).toMatchObject({
      refused: 'policy',
      decision: { outcome: 'deny', rule: 'deny-destructive-commands', program: 'rm' },
    });
  });

  it('still runs the read-only allowlist', async () => {
    const ls = await ssh('agent', 'ls -la exports');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain('patients.csv');
    const notes = await ssh(
      'agent',
      'grep -c admit logs/adt-excerpt.log; cat notes/discharge-summary.txt | head -n 3',
    );
    expect(notes.code).toBe(0);
    expect(notes.stdout).toMatch(/^300\nDISCHARGE SUMMARY/);
  });
});
