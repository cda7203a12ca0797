/**
 * `warden evidence export --config FILE` as a gateway host runs it: the audit directory and the
 * checkpoint key come from the config (the key resolved like the gateway resolves it), which both
 * verifies the checkpoints and signs the manifest, so one public key checks log and pack. Run
 * in-process through the CLI's own entry point; the sandbox test spawns the command.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../gateway-image/src/cli/main';
import { alice, cleanup, keys, openLog, tempDir } from '../audit/helpers';

const KEY_ENV = 'WARDEN_TEST_EVIDENCE_AUDIT_KEY';

async function run(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
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
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: process.env,
  });
  return { status, stdout, stderr };
}

let dir: string;
let configFile: string;
let publicKeyFile: string;

beforeAll(async () => {
  dir = await tempDir();
  const auditDir = join(dir, 'audit');
  const log = await openLog(auditDir);
  await log.append({
    type: 'session.start',
    principal: alice,
    connection: 'ehr',
    session: 's1',
    body: {
      protocol: 'postgres',
      clientUser: 'app',
      brokeredRole: 'warden_reader',
      clientApplication: 'psql',
    },
  });
  await log.close();
  configFile = join(dir, 'warden.json');
  await writeFile(
    configFile,
    JSON.stringify({
      version: 1,
      identity: { issuers: [{ issuer: 'https://idp.test', audiences: ['warden'] }] },
      access: { grants: [{ name: 'analysts', connections: ['*'], principals: { groups: ['analysts'] } }] },
      audit: { dir: 'audit', signingKey: `env:${KEY_ENV}` },
    }),
  );
  publicKeyFile = join(dir, 'audit.pub.pem');
  await writeFile(publicKeyFile, keys.publicKeyPem);
  process.env[KEY_ENV] = keys.privateKeyPem;
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await cleanup();
});

describe('warden evidence (CLI)', () => {
  it('exports with --config alone: the checkpoint key verifies the log and signs the manifest', async () => {
    const out = join(dir, 'pack');
    const r = await run('evidence', 'export', '--config', configFile, '--out', out);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toContain(`checkpoints signed by key ${keys.keyId}`);
    expect(r.stdout).toContain(`manifest signed by key ${keys.keyId} (audit-signing-key)`);
    const data = JSON.parse(await readFile(join(out, 'evidence.json'), 'utf8'));
    expect(data.access.standing).toEqual([
      { name: 'analysts', connections: ['*'], principals: 'groups analysts' },
    ]);
    const verified = await run('evidence', 'verify', out, '--public-key', publicKeyFile);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain(`signed by the given key ${keys.keyId}`);
  });

  it('exits 1 (and says so) when the log cannot be verified: no key for an --audit-dir export', async () => {
    const r = await run(
      'evidence',
      'export',
      '--audit-dir',
      join(dir, 'audit'),
      '--out',
      join(dir, 'unverified'),
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('audit log NOT verified: no public key was given');
    expect(r.stdout).toContain('(one-off)');
  });

  it.each([
    [['evidence', 'export', '--config', 'x.json'], '--out is required'],
    [['evidence', 'export', '--out', 'x'], 'give --audit-dir DIR or --config FILE'],
    [
      ['evidence', 'export', '--audit-dir', 'a', '--out', 'x', '--from', 'last tuesday'],
      '--from "last tuesday" is not a date',
    ],
    [
      ['evidence', 'export', '--audit-dir', 'a', '--out', 'x', '--from', 'today', '--to', 'yesterday'],
      'must be after --from',
    ],
    [['evidence', 'verify'], 'expected PACK'],
  ])('exits 2 on %j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses to write a pack into a directory that holds other files', async () => {
    const r = await run('evidence', 'export', '--config', configFile, '--out', join(dir, 'audit'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is not empty');
  });
});
