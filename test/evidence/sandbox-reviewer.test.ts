/**
 * The reviewer's tools on a real `warden dev`, started once:
 * - `warden classify` finds nothing unclassified in the sandbox's own classification, and finds
 *   what is missing from a narrower one and from an unclassified copy of patient data;
 * - `warden evidence export` and `warden evidence verify` on its audit log after a scripted
 *   session mix: stock psql, ssh and curl as an agent and as a person, statements held and decided
 *   through the admin API, just-in-time access requested, approved and revoked, refusals of every
 *   kind. The pack must describe all of it, carry none of the identifiers the session mix typed,
 *   and `verify` must reject it after one changed byte.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../gateway-image/src/cli/main';
import type { EvidenceData } from '../../gateway-image/src/evidence/model';
import { writePack } from '../../gateway-image/src/evidence/pack';
import { verifyPack } from '../../gateway-image/src/evidence/verify-pack';
import { type DevSandbox, startDevSandbox } from '../support/dev-sandbox';

const root = join(__dirname, '..', '..');
const bin = join(root, 'gateway-image', 'bin', 'warden.js');
const EXAMPLE = join(root, 'examples', 'local', 'warden.json');
/** A surname no synthetic patient has, typed into a query, a command line and free-text reasons. */
const TYPED = 'Quixotefield';

let sandbox: DevSandbox;
let work: string;
let auditDir: string;
let publicKeyFile: string;
let recordingsDir: string;
/** A real patient's SSN and surname, used in a query's WHERE clause. */
let patient: { ssn: string; last_name: string };
/** `warden classify` runs, made while the sandbox's database was up. */
const classified: Record<string, { status: number; stdout: string; stderr: string }> = {};

function warden(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, WARDEN_ADMIN_URL: sandbox.line.adminUrl, ...env },
    timeout: 30_000,
  });
}

/** The admin API as `warden approvals` and `warden access` use it (those commands have their own tests). */
// biome-ignore lint/suspicious/noExplicitAny: API answers are read as the assertions need them
async function admin(token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(new URL(path, sandbox.line.adminUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** psql as the agent, left running while its statement is held. */
function heldPsql(sql: string, application: string): { child: ChildProcess; done: Promise<string> } {
  const conninfo = `host=${sandbox.line.postgres.host} port=${sandbox.line.postgres.port} dbname=patients user=agent sslmode=require application_name=${application}`;
  const child = spawn('psql', [conninfo, '-X', '-c', sql], {
    env: { ...process.env, PGPASSWORD: sandbox.line.tokens.agent },
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, done: new Promise((resolve) => child.once('exit', () => resolve(out))) };
}

async function pending(count: number): Promise<{ id: string }[]> {
  for (let i = 0; i < 100; i++) {
    const { approvals } = await admin(sandbox.line.tokens.approver, 'GET', '/v1/approvals?status=pending');
    if (approvals.length >= count) return approvals;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the held statements never appeared');
}

async function sessionMix(): Promise<void> {
  const { line } = sandbox;
  const agent = line.tokens.agent;
  const human = line.tokens.human;
  sandbox.psql({
    token: agent,
    database: 'patients',
    applicationName: 'mix-agent',
    commands: [
      'select count(*) from encounters',
      "select pg_read_file('/etc/passwd')",
      "set backslash_quote = 'on'",
    ],
  });
  const latin1 = join(work, 'latin1.sql');
  writeFileSync(
    latin1,
    Buffer.concat([Buffer.from("select 'caf"), Buffer.from([0xe9]), Buffer.from("';\n")]),
  );
  sandbox.psql({
    token: agent,
    database: 'patients',
    applicationName: 'mix-utf8',
    commands: [],
    file: latin1,
  });
  sandbox.psql({
    token: agent,
    database: 'patients',
    applicationName: 'mix-startup',
    commands: ['select 1'],
    env: { PGOPTIONS: '-c backslash_quote=on' },
  });
  sandbox.psql({
    token: human,
    database: 'patients',
    applicationName: 'mix-human',
    commands: [
      `select count(*) from patients where last_name = '${TYPED}' or ssn = '${patient.ssn}'`,
      'select first_name, ssn from patients order by id limit 3',
    ],
  });

  // Two writes held for approval: one approved, one denied.
  const update = heldPsql(`update patients set city = '${TYPED}' where id = 1`, 'mix-held-1');
  const remove = heldPsql('delete from billing where id = 3', 'mix-held-2');
  const [first, second] = await pending(2);
  const approver = line.tokens.approver;
  await admin(approver, 'POST', `/v1/approvals/${first!.id}/decision`, {
    verdict: 'approve',
    justification: `checked ${TYPED}`,
  });
  await admin(approver, 'POST', `/v1/approvals/${second!.id}/decision`, {
    verdict: 'deny',
    justification: 'not needed',
  });
  await Promise.all([update.done, remove.done]);

  // Just-in-time access: requested by the agent, approved, then revoked.
  const request = await admin(agent, 'POST', '/v1/access-requests', {
    connection: 'scratch',
    durationMs: 1_800_000,
    reason: `incident for ${TYPED}`,
  });
  await admin(approver, 'POST', `/v1/approvals/${request.id}/decision`, {
    verdict: 'approve',
    justification: 'incident 7',
  });
  const { grants } = await admin(approver, 'GET', '/v1/grants');
  const grant = grants.find((g: { approval: string }) => g.approval === request.id);
  await admin(approver, 'POST', `/v1/grants/${grant.id}/revoke`, { reason: `done with ${TYPED}` });

  if (line.ssh) {
    for (const command of [`grep ${TYPED} exports/patients.csv`, 'base64 exports/patients.csv']) {
      spawnSync(
        'sshpass',
        [
          '-e',
          'ssh',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-p',
          String(line.ssh.port),
          `${line.ssh.connection}@${line.ssh.host}`,
          command,
        ],
        { env: { ...process.env, SSHPASS: agent }, timeout: 20_000 },
      );
    }
  }
  if (line.http) {
    spawnSync('curl', ['-sk', '-H', `Authorization: Bearer ${agent}`, `${line.http.url}Patient?_count=2`], {
      timeout: 20_000,
    });
  }
}

/** The CLI's entry point in-process (a spawned `warden` costs a second of start-up per run). */
async function cli(argv: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        write(String(chunk));
        done();
      },
    });
  const status = await main(argv, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    env: { ...process.env, ...env },
  });
  return { status, stdout, stderr };
}

async function classifyRuns(): Promise<void> {
  const env = { WARDEN_TEST_UPSTREAM: `${sandbox.line.upstream.url}?sslmode=disable` };
  const args = (config: string) => [
    'classify',
    '--config',
    config,
    '--connection',
    'patients',
    '--upstream-url-env',
    'WARDEN_TEST_UPSTREAM',
  ];
  classified.sandbox = await cli(args(EXAMPLE), env);
  // The classification as it was before the Safe Harbor review: ZIP, city and encounter dates raw.
  const narrow = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  const patients = narrow.connections.find((c: { name: string }) => c.name === 'patients');
  for (const k of [
    'public.patients.city',
    'public.patients.zip',
    'public.encounters.admitted_at',
    'public.encounters.discharged_at',
  ])
    delete patients.classification[k];
  const narrowFile = join(work, 'narrow.json');
  writeFileSync(narrowFile, JSON.stringify(narrow));
  const upstream = await sandbox.upstream('patients');
  try {
    classified.narrow = await cli(args(narrowFile), env);
    // A copy of patient data under another name, nothing classified and no foreign key.
    await upstream.query('CREATE TABLE reviewer_copy AS SELECT mrn, ssn, phone, email, street FROM patients');
    classified.copy = await cli(args(EXAMPLE), env);
  } finally {
    await upstream.query('DROP TABLE IF EXISTS reviewer_copy');
    await upstream.end();
    await rm(narrowFile, { force: true });
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'warden-evidence-'));
  sandbox = await startDevSandbox({ patients: 300 });
  const upstream = await sandbox.upstream('patients');
  try {
    patient = (await upstream.query('select ssn, last_name from patients order by id limit 1')).rows[0];
  } finally {
    await upstream.end();
  }
  await sessionMix();
  await classifyRuns();
  // Stopped, so the log ends on its closing checkpoint; the audit directory outlives the process.
  await sandbox.interrupt(15_000);
  auditDir = join(work, 'audit');
  recordingsDir = join(work, 'recordings');
  await cp(sandbox.line.auditDir, auditDir, { recursive: true });
  await cp(sandbox.line.recordingsDir, recordingsDir, { recursive: true });
  publicKeyFile = join(sandbox.stateDir, 'audit-public-key.pem');
  writeFileSync(join(work, 'audit-public-key.pem'), readFileSync(publicKeyFile));
  publicKeyFile = join(work, 'audit-public-key.pem');
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await rm(work, { recursive: true, force: true });
});

/** A signing key for the packs of this test, so `verify` can pin it. */
function signingKeyFiles(name: string): { privateFile: string; publicFile: string } {
  const pair = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateFile = join(work, `${name}.pem`);
  const publicFile = join(work, `${name}.pub.pem`);
  writeFileSync(privateFile, pair.privateKey);
  writeFileSync(publicFile, pair.publicKey);
  return { privateFile, publicFile };
}

function exportPack(out: string, signingKey: string) {
  return warden([
    'evidence',
    'export',
    '--audit-dir',
    auditDir,
    '--config',
    EXAMPLE,
    '--public-key',
    publicKeyFile,
    '--signing-key',
    signingKey,
    '--recordings-dir',
    recordingsDir,
    '--from',
    'yesterday',
    '--out',
    out,
  ]);
}

describe('warden classify on the sandbox', () => {
  it("lists nothing: the sandbox's classification covers every identifier its data holds", () => {
    expect(classified.sandbox).toMatchObject({ status: 0, stderr: '' });
    expect(classified.sandbox!.stdout).toMatch(
      /^OK: connection "patients": no unclassified column looks like an identifier/,
    );
  });

  it('lists ZIP, city and encounter dates when the classification leaves them out, with a block to paste', () => {
    const r = classified.narrow!;
    expect(r.status).toBe(1);
    const listed = r.stdout
      .split('\n')
      .filter((l) => /^ {2}public\./.test(l))
      .map((l) => l.trim().split(/\s+/).slice(0, 2));
    expect(listed).toEqual([
      ['public.encounters.admitted_at', 'custom:DATE'],
      ['public.encounters.discharged_at', 'custom:DATE'],
      ['public.patients.city', 'ADDRESS'],
      ['public.patients.zip', 'ADDRESS'],
    ]);
    const block = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(block).toMatchObject({ 'public.patients.zip': 'ADDRESS', 'public.patients.ssn': 'SSN' });
  });

  it('finds an unclassified copy of patient data by its values, and prints no value', () => {
    const r = classified.copy!;
    expect(r.status).toBe(1);
    for (const [column, entity] of [
      ['ssn', 'SSN'],
      ['mrn', 'MRN'],
      ['phone', 'PHONE'],
      ['email', 'EMAIL'],
    ]) {
      expect(r.stdout).toMatch(
        new RegExp(`public\\.reviewer_copy\\.${column} +${entity} +\\d+ of \\d+ sampled values`),
      );
    }
    for (const value of [patient.ssn, patient.last_name]) expect(r.stdout).not.toContain(value);
  });
});

describe('warden evidence export on the sandbox', () => {
  let keysOf: { privateFile: string; publicFile: string };
  let pack: string;
  let data: EvidenceData;

  beforeAll(() => {
    keysOf = signingKeyFiles('pack-signer');
    pack = join(work, 'pack');
    const r = exportPack(pack, keysOf.privateFile);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^OK: evidence pack written to /);
    data = JSON.parse(readFileSync(join(pack, 'evidence.json'), 'utf8'));
  });

  it('writes the people, tool and manifest files', () => {
    expect(readdirSync(pack).sort()).toEqual([
      'evidence.html',
      'evidence.json',
      'evidence.md',
      'manifest.json',
      'manifest.sig',
    ]);
    const html = readFileSync(join(pack, 'evidence.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Activity per day');
    expect(readFileSync(join(pack, 'evidence.md'), 'utf8')).toContain(
      '| § 164.308(a)(1)(ii)(D) | Information system activity review |',
    );
  });

  it('verifies the chain and names the checkpoint key', () => {
    expect(data.integrity).toMatchObject({ ok: true, signaturesVerified: true, periodVouched: true });
    expect(data.integrity.keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('lists every principal with their sessions, agents and people apart', () => {
    const agent = data.principals.find((p) => p.subject === 'sandbox-agent');
    const human = data.principals.find((p) => p.subject === 'dana.clinician');
    expect(agent).toMatchObject({ kind: 'agent' });
    expect(agent!.sessions.postgres).toBeGreaterThanOrEqual(4);
    expect(human).toMatchObject({ kind: 'human', sessions: { postgres: 1 } });
    if (sandbox.line.ssh) expect(agent!.sessions.ssh).toBe(2);
    expect(agent!.sessions.http).toBe(1);
  });

  it('shows standing grants from the config and the just-in-time grant with its approver and end', () => {
    expect(data.access.standing?.map((g) => g.name)).toContain('agents-patients');
    expect(data.access.justInTime).toEqual([
      expect.objectContaining({
        subject: 'sandbox-agent',
        connection: 'scratch',
        durationMs: 1_800_000,
        approvedBy: 'avery.approver',
        status: 'revoked',
        revokedBy: 'avery.approver',
        expiresAt: expect.any(String),
      }),
    ]);
  });

  it('shows each held command with its decision and decider', () => {
    const byWhat = Object.fromEntries(data.approvals.map((a) => [a.what, a]));
    expect(Object.keys(byWhat).sort()).toEqual(['delete public.billing', 'update public.patients']);
    const decided = data.approvals.map((a) => [a.status, a.decisions[0]?.by, a.outcome]).sort();
    expect(decided).toEqual([
      ['approved', 'avery.approver', 'allowed'],
      ['denied', 'avery.approver', 'denied'],
    ]);
  });

  it('counts denials by rule, refusals by reason, and masking per connection and entity', () => {
    const rules = Object.fromEntries(data.refusals.byRule.map((r) => [r.rule, r.count]));
    expect(rules['deny-dangerous-functions']).toBe(1);
    expect(data.refusals.notInspectable).toMatchObject({
      'postgres: not-inspectable (invalid-utf8)': 1,
      'postgres: not-inspectable (lexing-setting)': 1,
    });
    expect(data.sessions.refusedBy).toMatchObject({ 'startup-parameter': 1 });
    if (sandbox.line.ssh) {
      expect(data.refusals.sshPrograms).toContainEqual(
        expect.objectContaining({
          rule: 'deny-encoders-on-phi-hosts',
          program: 'base64',
          features: ['encoder'],
        }),
      );
    }
    const masked = data.masking.filter((m) => m.connection === 'patients').map((m) => m.entity);
    expect(masked).toEqual(expect.arrayContaining(['SSN', 'NAME (raw)']));
    expect(data.masking.some((m) => m.connection === 'fhir')).toBe(true);
  });

  it("indexes the recordings of the period's sessions with their hashes", () => {
    expect(data.recordings!.length).toBeGreaterThanOrEqual(4);
    for (const r of data.recordings!) expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(data.recordings!.some((r) => r.principal === 'dana.clinician')).toBe(true);
  });

  it('carries no identifier the session mix typed, though the audit log has them', () => {
    const everything = readdirSync(pack)
      .map((f) => readFileSync(join(pack, f), 'utf8'))
      .join('\n');
    for (const typed of [TYPED, patient.ssn, patient.last_name, 'pg_read_file', 'exports/patients.csv']) {
      expect(everything).not.toContain(typed);
    }
    const log = readdirSync(auditDir)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => readFileSync(join(auditDir, f), 'utf8'))
      .join('');
    expect(log).toContain(TYPED);
  });
});

describe('warden evidence verify', () => {
  let keysOf: { privateFile: string; publicFile: string };
  let pack: string;

  beforeAll(() => {
    // The pack the export test wrote, signed with its key.
    keysOf = { privateFile: join(work, 'pack-signer.pem'), publicFile: join(work, 'pack-signer.pub.pem') };
    pack = join(work, 'pack');
  });

  /** A copy of the pack with `change` applied. */
  async function altered(name: string, change: (dir: string) => void): Promise<string> {
    const dir = join(work, name);
    await cp(pack, dir, { recursive: true });
    change(dir);
    return dir;
  }

  it('accepts the pack as exported, pinned to its signing key', () => {
    const r = warden(['evidence', 'verify', pack, '--public-key', keysOf.publicFile]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^OK: evidence pack intact \(3 files/);
  });

  /** One byte of `file` flipped, halfway through. */
  const flipByte = (file: string) => (d: string) => {
    const bytes = readFileSync(join(d, file));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(join(d, file), bytes);
  };

  it('exits 1 on the pack with one byte of evidence.md changed', async () => {
    const dir = await altered('one-byte-md', flipByte('evidence.md'));
    const r = warden(['evidence', 'verify', dir, '--public-key', keysOf.publicFile]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: 1 problem\(s\)\n.*\n {2}- evidence\.md was altered/);
  });

  it.each(['evidence.json', 'evidence.html', 'manifest.json', 'manifest.sig'])(
    'rejects the pack with one byte of %s changed',
    async (file) => {
      const dir = await altered(`one-byte-${file}`, flipByte(file));
      const r = await verifyPack(dir, createPublicKey(readFileSync(keysOf.publicFile)));
      expect(r.ok).toBe(false);
    },
  );

  it('rejects a file added to the pack, and a pack re-signed with another key', async () => {
    const extra = await altered('extra-file', (d) => writeFileSync(join(d, 'notes.txt'), 'added later'));
    expect((await verifyPack(extra)).problems).toEqual(['notes.txt is not listed in the manifest']);

    // The held commands dropped and the pack written and signed again, without the pinned key.
    const data = JSON.parse(readFileSync(join(pack, 'evidence.json'), 'utf8'));
    data.approvals = [];
    const forged = join(work, 'forged');
    await writePack(data, forged, { key: generateKeyPairSync('ed25519').privateKey, origin: 'signing-key' });
    expect((await verifyPack(forged)).ok).toBe(true);
    const pinned = await verifyPack(forged, createPublicKey(readFileSync(keysOf.publicFile)));
    expect(pinned.ok).toBe(false);
    expect(pinned.problems.join('\n')).toContain('not the given key');
  });
});
