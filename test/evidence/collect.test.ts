/**
 * The evidence of a period, from a real audit log (written by the audit module, checkpoints
 * signed) holding the event shapes the gateway writes, the newest ones included: privileged
 * upstream roles, refused startup parameters, statements that could not be inspected, inspection
 * mismatches, SSH decisions about a program and its features, and the gateway's own rule
 * `warden:unmaskable-output`. The unit under test reads the log the way `warden evidence export` does.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { AuditLog } from '../../gateway-image/src/audit';
import type { AuditPrincipal } from '../../gateway-image/src/audit/event';
import { listSegments } from '../../gateway-image/src/audit/segments';
import { collectEvidence } from '../../gateway-image/src/evidence/collect';
import type { ShellFacts, SqlFacts } from '../../gateway-image/src/inspect/facts';
import { cleanup, copyDir, keys, openLog, otherKeys, tempDir } from '../audit/helpers';

const agent: AuditPrincipal = {
  subject: 'ci-bot',
  kind: 'agent',
  issuer: 'https://idp.test',
  groups: ['agents'],
};
const human: AuditPrincipal = {
  subject: 'dr-lee',
  kind: 'human',
  issuer: 'https://idp.test',
  groups: ['clinicians'],
};
const approver: AuditPrincipal = {
  subject: 'avery',
  kind: 'human',
  issuer: 'https://idp.test',
  groups: ['approvers'],
};

const DAY1 = Date.parse('2026-03-01T10:00:00Z');
const DAY2 = Date.parse('2026-03-02T10:00:00Z');
const PERIOD = { from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' };
/** Free text a person typed; it may name a patient, so no pack may carry it. */
const FREE_TEXT = 'follow-up for Quixotefield';

let dir: string;

const pgStart = {
  protocol: 'postgres',
  clientUser: 'app',
  brokeredRole: 'warden_reader',
  clientApplication: 'psql',
} as const;
const sqlFacts = (normalized: string): SqlFacts => ({
  protocol: 'postgres',
  normalized,
  fingerprint: 'a1b2c3d4e5f60718',
  statements: [],
});
const shellFacts = (programs: string[], commandLine: string): ShellFacts => ({
  protocol: 'ssh',
  mode: 'exec',
  programs,
  commandLine,
  features: [],
});
const hold = { approverGroups: ['approvers'], minApprovers: 1, expiresAt: '2026-03-02T10:05:00.000Z' };

async function write(log: AuditLog): Promise<void> {
  jest.setSystemTime(DAY1);
  await log.append({
    type: 'session.start',
    principal: human,
    connection: 'ehr',
    session: 'old',
    body: pgStart,
  });
  jest.setSystemTime(DAY2);
  const pg = { principal: agent, connection: 'ehr' };
  await log.append({
    ...pg,
    type: 'session.refused',
    session: 'r1',
    body: { reason: 'privileged-upstream-role' },
  });
  await log.append({
    ...pg,
    type: 'session.refused',
    session: 'r2',
    body: { reason: 'startup-parameter', parameter: 'backslash_quote' },
  });
  await log.append({
    ...pg,
    connection: 'vendor',
    type: 'session.start',
    session: 's1',
    body: {
      ...pgStart,
      upstreamRole: { privileges: ['superuser', 'bypassrls'], acceptedBecause: FREE_TEXT },
    },
  });
  await log.append({
    ...pg,
    type: 'query.attempt',
    session: 's1',
    body: {
      message: 'query',
      outcome: 'not-inspectable',
      reason: 'lexing-setting',
      setting: 'backslash_quote',
    },
  });
  await log.append({
    ...pg,
    type: 'query.attempt',
    session: 's1',
    body: { message: 'query', outcome: 'not-inspectable', reason: 'invalid-utf8' },
  });
  await log.append({
    ...pg,
    type: 'query.attempt',
    session: 's1',
    body: {
      message: 'query',
      decision: { outcome: 'allow', rule: 'allow-granted' },
      facts: sqlFacts('select ssn from patients where last_name = $1'),
    },
  });
  await log.append({
    ...pg,
    type: 'mask',
    session: 's1',
    body: {
      via: 'query',
      statement: 0,
      profile: null,
      columns: [{ entity: 'SSN', name: 'ssn', strategy: 'partial', values: 7 }],
      detections: { 'NAME:redact': 2 },
    },
  });
  await log.append({
    ...pg,
    type: 'inspection.mismatch',
    session: 's1',
    body: { kind: 'tag', fingerprint: 'a1b2c3d4e5f60718', index: 0, inspected: 'SELECT', reported: 'INSERT' },
  });
  await log.append({ ...pg, type: 'session.end', session: 's1', body: { reason: 'inspection-mismatch' } });
  const ssh = { principal: agent, connection: 'lab-host', session: 's2' };
  await log.append({
    ...ssh,
    type: 'session.start',
    body: { protocol: 'ssh', method: 'password', via: 'oidc' },
  });
  await log.append({
    ...ssh,
    type: 'command.attempt',
    body: {
      protocol: 'ssh',
      facts: shellFacts(['grep', 'base64'], `grep ${FREE_TEXT} exports/patients.csv | base64`),
      decision: {
        outcome: 'deny',
        rule: 'deny-encoders-on-phi-hosts',
        reason: 'encoders defeat masking',
        program: 'base64',
        features: ['encoder'],
      },
    },
  });
  await log.append({
    ...ssh,
    type: 'command.attempt',
    body: {
      protocol: 'ssh',
      facts: shellFacts(['cat'], 'cat exports/patients.csv'),
      decision: {
        outcome: 'deny',
        rule: 'warden:unmaskable-output',
        reason: 'the output cannot be masked',
        program: 'cat',
        features: ['unmaskable'],
      },
    },
  });
  await log.append({
    ...ssh,
    type: 'command.attempt',
    body: { protocol: 'ssh', mode: 'exec', outcome: 'not-inspectable', reason: FREE_TEXT },
  });
  await log.append({
    ...ssh,
    type: 'command.result',
    body: {
      protocol: 'ssh',
      mode: 'exec',
      channel: 0,
      outcome: 'completed',
      masked: { 'SSN:partial': 3, 'ADDRESS/column': 2 },
    },
  });
  await log.append({
    ...ssh,
    type: 'approval.requested',
    body: {
      approval: 'h-ssh',
      kind: 'command',
      rule: 'warden.phi-ssh-commands',
      command: `cat ${FREE_TEXT}.txt`,
      ...hold,
    },
  });
  await log.append({
    ...ssh,
    type: 'command.attempt',
    body: {
      protocol: 'ssh',
      approvalRule: 'warden.phi-ssh-commands',
      facts: shellFacts(['cat'], `cat ${FREE_TEXT}.txt`),
      decision: { outcome: 'deny', rule: 'warden.phi-ssh-commands', reason: 'timed out' },
    },
  });
  await log.append({ ...ssh, type: 'approval.expired', body: { approval: 'h-ssh', status: 'expired' } });
  await log.append({ ...ssh, type: 'session.end', body: { reason: 'credential-expired' } });
  await log.append({
    principal: agent,
    connection: 'ehr',
    type: 'access.requested',
    body: {
      approval: 'a-1',
      kind: 'access',
      rule: 'access.justInTime',
      reason: FREE_TEXT,
      durationMs: 1_800_000,
      ...hold,
    },
  });
  await log.append({
    principal: approver,
    connection: 'ehr',
    type: 'access.granted',
    body: { grant: 'g-1', approval: 'a-1', subject: 'ci-bot', expiresAt: '2026-03-02T10:30:00.000Z' },
  });
  await log.append({
    principal: null,
    connection: 'ehr',
    type: 'access.expired',
    body: { grant: 'g-1', subject: 'ci-bot', expiresAt: '2026-03-02T10:30:00.000Z' },
  });
  await log.append({
    ...pg,
    type: 'approval.requested',
    session: 's3',
    body: {
      approval: 'h-1',
      kind: 'command',
      rule: 'warden.phi-sql-writes',
      command: `update patients set note = '${FREE_TEXT}'`,
      statements: [
        {
          kind: 'update',
          reads: [],
          writes: ['public.patients'],
          columns: ['note'],
          functions: [],
          returnsRows: false,
        },
      ],
      ...hold,
    },
  });
  await log.append({
    principal: approver,
    connection: 'ehr',
    session: 's3',
    type: 'approval.decided',
    body: {
      approval: 'h-1',
      requester: 'ci-bot',
      verdict: 'approve',
      status: 'approved',
      justification: FREE_TEXT,
    },
  });
  await log.append({
    ...pg,
    type: 'query.attempt',
    session: 's3',
    body: {
      message: 'query',
      approvalRule: 'warden.phi-sql-writes',
      facts: sqlFacts('update patients set note = $1'),
      decision: { outcome: 'allow', rule: 'warden.phi-sql-writes' },
    },
  });
}

beforeAll(async () => {
  jest.useFakeTimers({
    now: DAY1,
    doNotFake: [
      'nextTick',
      'setImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
  dir = await tempDir();
  const log = await openLog(dir);
  await write(log);
  await log.close();
  jest.useRealTimers();
});
afterAll(cleanup);

describe('collectEvidence', () => {
  it('verifies the whole log and vouches for the period', async () => {
    const d = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: keys.publicKey });
    expect(d.integrity).toMatchObject({
      ok: true,
      signaturesVerified: true,
      keyId: keys.keyId,
      periodVouched: true,
    });
    expect(d.integrity.periodFirstSeq).toBeGreaterThan(2);
  });

  it('keeps to the period: the day before is left out', async () => {
    const d = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: keys.publicKey });
    expect(d.principals.map((p) => p.subject)).toEqual(['avery', 'ci-bot']);
    expect(d.activity.map((a) => a.day)).toEqual(['2026-03-02']);
  });

  it('accounts for refusals the newest gateway writes', async () => {
    const d = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: keys.publicKey });
    expect(d.sessions.refusedBy).toEqual({ 'privileged-upstream-role': 1, 'startup-parameter': 1 });
    expect(d.sessions.endedBy).toEqual({ 'inspection-mismatch': 1, 'credential-expired': 1 });
    expect(d.sessions.inspectionMismatches).toEqual([
      { time: expect.any(String), session: 's1', connection: 'ehr', kind: 'tag' },
    ]);
    expect(d.sessions.privilegedUpstream).toEqual([
      { connection: 'vendor', privileges: ['bypassrls', 'superuser'], sessions: 1 },
    ]);
    expect(d.refusals.notInspectable).toEqual({
      'postgres: not-inspectable (lexing-setting)': 1,
      'postgres: not-inspectable (invalid-utf8)': 1,
      'ssh: not-inspectable': 1,
    });
    expect(d.refusals.byRule.map((r) => [r.rule, r.count])).toEqual([
      ['deny-encoders-on-phi-hosts', 1],
      ['warden:unmaskable-output', 1],
      // A hold that timed out is a denial by the holding rule.
      ['warden.phi-ssh-commands', 1],
    ]);
    expect(d.refusals.sshPrograms).toEqual([
      { rule: 'deny-encoders-on-phi-hosts', program: 'base64', features: ['encoder'], count: 1 },
      { rule: 'warden:unmaskable-output', program: 'cat', features: ['unmaskable'], count: 1 },
    ]);
  });

  it('follows grants and holds from request to decision', async () => {
    const d = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: keys.publicKey });
    expect(d.access.justInTime).toEqual([
      expect.objectContaining({
        approval: 'a-1',
        subject: 'ci-bot',
        connection: 'ehr',
        durationMs: 1_800_000,
        status: 'expired',
        grant: 'g-1',
        approvedBy: 'avery',
        expiresAt: '2026-03-02T10:30:00.000Z',
      }),
    ]);
    expect(d.approvals.filter((a) => a.approval === 'h-1')).toEqual([
      expect.objectContaining({
        approval: 'h-1',
        requester: 'ci-bot',
        rule: 'warden.phi-sql-writes',
        what: 'update public.patients',
        status: 'approved',
        decisions: [{ by: 'avery', verdict: 'approve', at: expect.any(String) }],
        outcome: 'allowed',
      }),
    ]);
    expect(d.approvals).toContainEqual(
      expect.objectContaining({
        approval: 'h-ssh',
        what: 'ssh: cat',
        status: 'expired',
        decisions: [],
        outcome: 'denied',
      }),
    );
    expect(d.access.standing).toBeNull();
  });

  it('counts masking per connection and entity', async () => {
    const d = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: keys.publicKey });
    expect(d.masking).toEqual([
      { connection: 'ehr', entity: 'SSN', values: 7 },
      { connection: 'ehr', entity: 'NAME', values: 2 },
      { connection: 'lab-host', entity: 'SSN', values: 3 },
      { connection: 'lab-host', entity: 'ADDRESS', values: 2 },
    ]);
  });

  it('carries no command text, SQL or free-text reason', async () => {
    const d = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: keys.publicKey });
    const text = JSON.stringify(d);
    expect(text).not.toContain('Quixotefield');
    expect(text).not.toContain('last_name');
    // The audit log itself holds them: the pack leaves them out on purpose.
    const log = await Promise.all((await listSegments(dir)).map((seg) => readFile(seg.path, 'utf8')));
    expect(log.join('')).toContain('Quixotefield');
  });

  it('says the log is not verified when checked with another key, or when an event was altered', async () => {
    const wrongKey = await collectEvidence({ auditDir: dir, period: PERIOD, publicKey: otherKeys.publicKey });
    expect(wrongKey.integrity).toMatchObject({ ok: false, periodVouched: false });
    const noKey = await collectEvidence({ auditDir: dir, period: PERIOD });
    expect(noKey.integrity).toMatchObject({ ok: false, signaturesVerified: false, keyId: null });

    const copy = await copyDir(dir);
    const segment = (await listSegments(copy)).at(-1)!;
    const text = await readFile(segment.path, 'utf8');
    await chmod(segment.path, 0o644);
    await writeFile(segment.path, text.replace('"privileged-upstream-role"', '"no-grant"'));
    const altered = await collectEvidence({ auditDir: copy, period: PERIOD, publicKey: keys.publicKey });
    expect(altered.integrity.ok).toBe(false);
    expect(altered.integrity.problems.map((p) => p.kind)).toContain('hash-mismatch');
  });
});
