import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../../gateway-image/src/cli/command';
import { approvalsList } from '../../gateway-image/src/cli/commands/approvals';

const root = join(__dirname, '..', '..');
const bin = join(root, 'gateway-image', 'bin', 'warden.js');

function warden(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('warden command', () => {
  it('prints its version and usage', () => {
    expect(warden('--version').stdout).toMatch(/^warden \d+\.\d+\.\d+/);
    const help = warden('--help');
    expect(help.status).toBe(0);
    for (const cmd of ['gateway', 'config check', 'config schema', 'audit verify', 'login', 'dev']) {
      expect(help.stdout).toContain(`  ${cmd} `);
    }
  });

  it('gives every command a --help', () => {
    for (const cmd of [
      ['gateway'],
      ['config', 'check'],
      ['config', 'schema'],
      ['audit', 'verify'],
      ['login'],
      ['dev'],
    ]) {
      const r = warden(...cmd, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: warden ${cmd.join(' ')}`));
    }
  });

  it("lists a group's commands for `warden <group>` (exit 2) and `warden <group> --help` (exit 0)", () => {
    const help = warden('approvals', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: warden approvals <command>/);
    expect(help.stdout).toContain('  approvals list ');
    const bare = warden('audit');
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('  audit verify ');
  });

  it('stops quietly when its reader closes the pipe early', () => {
    const r = spawnSync(
      'bash',
      ['-o', 'pipefail', '-c', `"${process.execPath}" "${bin}" config schema | head -c 1`],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.stdout).toBe('{');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
  });

  it('exits 2 with a clear message on an unknown command or flag', () => {
    const unknown = warden('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const flag = warden('config', 'check', '--frob', 'x.json');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--frob'");
    const missing = warden('config', 'check');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('expected FILE');
  });

  it('config check: 0 on the shipped example, 1 with every problem on a bad file', async () => {
    expect(warden('config', 'check', 'examples/local/warden.json').status).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'warden-cli-'));
    try {
      const bad = join(dir, 'bad.json');
      await writeFile(
        bad,
        JSON.stringify({ version: 1, identity: { issuers: [] }, audit: { dir: 'x', signingKey: 'k' } }),
      );
      const r = warden('config', 'check', bad);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('identity.issuers: expected array to have >=1 items');
      expect(r.stderr).toContain('audit.signingKey: expected a secret reference');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('config schema prints JSON Schema', () => {
    const r = warden('config', 'schema');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).title).toBe('Warden gateway configuration');
  });
});

describe('admin API commands', () => {
  it('never send the token over plain HTTP beyond loopback, and say why', async () => {
    const io = { stdout: process.stdout, stderr: process.stderr, env: { WARDEN_TOKEN: 'tok-SECRET' } };
    const run = (url: string) => approvalsList.run(parseCommandArgs(approvalsList, ['--admin-url', url]), io);
    await expect(run('http://warden.example.com:8444')).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringContaining('plain http is loopback-only'),
    });
    await expect(run('not a url')).rejects.toMatchObject({ code: 'ERR_USAGE' });
    // Loopback is allowed; nothing listens on port 9, so the failure is a clear "unreachable".
    await expect(run('http://127.0.0.1:9')).rejects.toMatchObject({
      code: 'ERR_ADMIN_API',
      message: expect.stringContaining('unreachable'),
    });
  });
});
