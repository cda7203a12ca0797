import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAsciicast, replayOutput } from '../../../gateway-image/src/recording/asciicast';
import { generateHospital } from '../../../gateway-image/src/sandbox/hospital';
import { type KubernetesStack, startKubernetesStack } from './stack';

const run = promisify(execFile);
const patients = generateHospital({ patients: 50, seed: 1 }).patients;
const SSN = /\b\d{3}-\d{2}-\d{4}\b/;

let s: KubernetesStack;
beforeAll(async () => {
  s = await startKubernetesStack();
}, 60_000);
afterAll(async () => {
  await s?.close();
});

describe('kubectl through the gateway', () => {
  it('keeps a watch open past the request deadline (1.5 s here): only the request must arrive in time', async () => {
    const ca = await readFile(s.caFile);
    const url = new URL(`${s.server}/api/v1/namespaces/tools/pods?watch=true`);
    const req = httpsRequest(url, { ca, headers: { authorization: `Bearer ${s.tokens.human}` } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(200);
    let text = '';
    let ended = false;
    res.setEncoding('utf8').on('data', (c: string) => (text += c));
    res.on('close', () => (ended = true));
    await new Promise((r) => setTimeout(r, 3500));
    expect(ended).toBe(false);
    expect(text).toContain('"type":"ADDED"');
    req.destroy();
  });

  it('lists pods with a token from warden login run as the exec credential plugin', async () => {
    const r = await s.kubectl(['get', 'pods'], 'plugin');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
    expect(r.stdout).toContain('ehr-export-0');
    const events = await s.audit();
    const attempt = events.find(
      (e) =>
        e.type === 'request.attempt' && e.body.facts?.resource === 'pods' && e.body.facts?.verb === 'list',
    );
    expect(attempt).toMatchObject({
      connection: 'ehr-cluster',
      principal: { subject: 'k8s-bot', kind: 'agent' },
      body: {
        protocol: 'kubernetes',
        facts: { namespace: 'clinical', phiNamespace: true },
        decision: { outcome: 'allow' },
      },
    });
  });

  it('masks pod logs and pod env for an agent', async () => {
    const logs = await s.kubectl(['logs', 'ehr-export-0'], 'agent');
    expect(logs.code).toBe(0);
    expect(logs.stdout.split('\n').filter(Boolean)).toHaveLength(10);
    expect(logs.stdout).not.toMatch(SSN);
    for (const p of patients.slice(0, 10)) expect(logs.stdout).not.toContain(p.phone);
    const pod = await s.kubectl(['get', 'pod', 'ehr-export-0', '-o', 'json'], 'agent');
    const env = JSON.parse(pod.stdout).spec.containers[0].env;
    expect(env.find((e: { name: string }) => e.name === 'ONCALL_PHONE').value).not.toBe(patients[0]!.phone);
  });

  it('denies kubectl get secret to an agent, with the rule, and audits it', async () => {
    for (const args of [
      ['get', 'secret'],
      ['get', 'secret', 'ehr-db', '-o', 'yaml'],
      ['get', '--raw', '/api/v1/namespaces/clinical/secrets?watch=true'],
    ]) {
      const r = await s.kubectl(args, 'agent');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        'Error from server (Forbidden): denied by Warden policy rule "deny-agent-secret-reads"',
      );
      expect(r.stdout).not.toContain(s.api.secretValue);
    }
    const denied = (await s.audit()).filter(
      (e) => e.type === 'request.attempt' && e.body.decision?.rule === 'deny-agent-secret-reads',
    );
    expect(denied.map((e) => e.body.facts.verb).sort()).toEqual(['get', 'list', 'watch']);
  });

  it('redacts Secret values for people too, including the last-applied annotation', async () => {
    const r = await s.kubectl(['get', 'secret', 'ehr-db', '-o', 'json'], 'human');
    expect(r.code).toBe(0);
    const secret = JSON.parse(r.stdout);
    expect(secret.data).toEqual({ password: '[SECRET]', user: '[SECRET]' });
    expect(secret.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe('[SECRET]');
    expect(r.stdout).not.toContain(s.api.secretValue);
    expect(r.stdout).not.toContain(Buffer.from(s.api.secretValue).toString('base64'));
  });

  it('runs kubectl exec -- cat /data/patients.csv over WebSocket, masked, audited and recorded', async () => {
    const r = await s.kubectl(['exec', 'ehr-export-0', '--', 'cat', '/data/patients.csv'], 'human');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('mrn,first_name,last_name,date_of_birth,ssn,phone,email,city,zip');
    expect(lines).toHaveLength(51);
    expect(r.stdout).not.toMatch(SSN);
    expect(r.stdout).toContain('***-**-');
    const events = await s.audit();
    const attempt = events.find((e) => e.type === 'request.attempt' && e.body.facts?.subresource === 'exec');
    expect(attempt?.body).toMatchObject({
      facts: { verb: 'create', command: { programs: ['cat'], commandLine: 'cat /data/patients.csv' } },
      decision: { outcome: 'allow' },
    });
    const result = events.find((e) => e.type === 'request.result' && e.body.exec === true);
    expect(result?.body).toMatchObject({ exitCode: 0 });
    expect(Object.keys(result?.body.masked ?? {}).some((k) => k.startsWith('SSN'))).toBe(true);
    const casts = await s.recordings();
    expect(casts).toHaveLength(1);
    const cast = parseAsciicast(await readFile(join(s.dir, 'recordings', casts[0]!), 'utf8'));
    expect(cast.header.command).toBe('cat /data/patients.csv');
    expect(replayOutput(cast)).toContain('mrn,first_name');
    expect(replayOutput(cast)).not.toMatch(SSN);
  });

  it('refuses exec commands the SSH rules refuse, naming the program', async () => {
    const rm = await s.kubectl(['exec', '-n', 'tools', 'toolbox-0', '--', 'rm', '-rf', '/data'], 'human');
    expect(rm.stderr).toContain('denied by Warden policy rule "deny-destructive-commands"');
    // A program name computed when the line runs cannot be inspected, whoever asks.
    const computed = await s.kubectl(
      ['exec', '-n', 'tools', 'toolbox-0', '--', 'sh', '-c', '$CMD /etc/motd'],
      'human',
    );
    expect(computed.stderr).toContain('denied by Warden policy rule "deny-uninspectable-commands"');
    // A shell reading its commands from stdin runs what the gateway never sees: not for agents.
    const stdinShell = await s.kubectl(['exec', '-i', '-n', 'tools', 'toolbox-0', '--', 'sh'], 'agent');
    expect(stdinShell.stderr).toContain('denied by Warden policy rule "deny-agent-shells"');
    expect(
      (await s.audit()).some(
        (e) => e.body.facts?.command?.programs?.includes('sh') && e.body.decision?.program === 'sh',
      ),
    ).toBe(true);
  });

  it('holds an agent kubectl delete in a PHI namespace until an approver approves, then completes it', async () => {
    const pending = s.kubectlLater(['delete', 'pod', 'ehr-export-0'], 'agent');
    await s.approveNext();
    const r = await pending;
    expect(r.stdout).toContain('pod "ehr-export-0" deleted');
    expect(r.code).toBe(0);
    expect(s.api.exists('pods', 'clinical', 'ehr-export-0')).toBe(false);
    const attempt = (await s.audit()).find(
      (e) => e.type === 'request.attempt' && e.body.facts?.verb === 'delete',
    );
    expect(attempt?.body).toMatchObject({
      approvalRule: 'hold-agent-kubernetes-phi-changes',
      decision: { outcome: 'allow' },
    });
  });

  it.each([
    ['port-forward', ['port-forward', 'toolbox-0', '18080:80', '-n', 'tools'], 'port forwarding is refused'],
    ['attach', ['attach', 'toolbox-0', '-n', 'tools'], 'kubectl attach is refused'],
    ['impersonation', ['get', 'pods', '--as', 'system:admin'], 'impersonation (impersonate-user) is refused'],
    [
      'a proxy path',
      ['get', '--raw', '/api/v1/namespaces/tools/pods/toolbox-0/proxy/'],
      'the proxy subresource is refused',
    ],
    [
      'an unknown API group',
      ['get', '--raw', '/apis/evil.example.com/v1/things'],
      'is not one this connection serves',
    ],
    ['the deprecated watch path', ['get', '--raw', '/api/v1/watch/secrets'], 'deprecated /watch/ paths'],
    ['a non-API path', ['get', '--raw', '/logs/'], 'not a Kubernetes API resource path'],
  ])('refuses %s with a Status naming why', async (_what, args, why) => {
    const r = await s.kubectl(args, 'human');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(why);
  });

  it("masks identifiers in the cluster's own error messages and in refusals", async () => {
    const ssn = patients[3]!.ssn;
    const r = await s.kubectl(['get', 'pod', ssn, '-n', 'tools'], 'agent');
    expect(r.stderr).toContain('NotFound');
    expect(r.stderr).not.toContain(ssn);
    const exec = await s.kubectl(['exec', '-n', 'tools', ssn, '--', 'ls'], 'human');
    expect(exec.code).not.toBe(0);
    expect(exec.stderr).not.toContain(ssn);
    expect(JSON.stringify(await s.audit())).not.toContain(ssn);
  });

  it('never forwards the caller token, and never shows the cluster token', async () => {
    const r = await s.kubectl(['get', 'pods', '-n', 'tools', '-v=8'], 'human');
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).not.toContain(s.api.token);
    const denied = await s.kubectl(['get', 'pods'], 'human');
    expect(denied.stdout + denied.stderr).not.toContain(s.api.token);
  });

  it('serves @kubernetes/client-node: list, log, exec over WebSocket, and the Secret refusal', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(__dirname, 'client-node-run.mjs'), s.server, s.caFile, s.tokens.agent],
      { timeout: 30_000 },
    );
    const out = JSON.parse(stdout);
    expect(out.pods).toEqual(['toolbox-0']);
    expect(out.log).not.toMatch(SSN);
    expect(out.secret.code).toBe(403);
    expect(out.secret.body).toContain('deny-agent-secret-reads');
    expect(out.exec.stdout).toBe('toolbox: no patient data here\n');
  });
});
