/** Notifications against a local receiver (signature, retry, failure reported) and the file store across restarts. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FileApprovalStore } from '../../gateway-image/src/approvals/file-store';
import type { ApprovalRecord } from '../../gateway-image/src/approvals/model';
import { createNotifier, SIGNATURE_HEADER, verifyWebhook } from '../../gateway-image/src/approvals/notify';
import { heldDelete } from '../support/principals';
import { tempStore } from './support';

const SECRET = 'whsec-test-0123456789';

function record(id: string, status: ApprovalRecord['status'] = 'pending'): ApprovalRecord {
  return heldDelete(id, { status, createdAt: Date.now(), expiresAt: Date.now() + 60_000 });
}

interface Received {
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

async function receiver(
  failFirst: number,
): Promise<{ server: Server; url: string; got: Received[]; hits: () => number }> {
  const got: Received[] = [];
  let hits = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hits++;
      if (hits <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      got.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    hits: () => hits,
  };
}

describe('notifications', () => {
  it('delivers a signed webhook and a Slack message, retrying after failures', async () => {
    const hook = await receiver(2);
    const slack = await receiver(0);
    const failures: unknown[] = [];
    const n = createNotifier({
      targets: [
        { kind: 'webhook', url: hook.url, secret: SECRET },
        { kind: 'slack', url: slack.url },
      ],
      consoleUrl: 'https://warden.test/',
      backoffMs: 20,
      onFailure: (f) => failures.push(f),
    });
    n.notify('approval.requested', record('a1'));
    await n.close();
    expect(hook.hits()).toBe(3);
    expect(failures).toEqual([]);
    const { body, headers } = hook.got[0]!;
    expect(verifyWebhook(SECRET, headers[SIGNATURE_HEADER] as string, body)).toBe(true);
    expect(verifyWebhook('wrong-secret', headers[SIGNATURE_HEADER] as string, body)).toBe(false);
    expect(verifyWebhook(SECRET, headers[SIGNATURE_HEADER] as string, body.replace('a1', 'a2'))).toBe(false);
    expect(JSON.parse(body)).toMatchObject({
      event: 'approval.requested',
      approval: { id: 'a1', command: 'delete from visits where id = $1' },
      url: 'https://warden.test/console/#/approvals/a1',
    });
    expect(JSON.parse(slack.got[0]!.body).text).toContain('<https://warden.test/console/#/approvals/a1|');
    hook.server.close();
    slack.server.close();
  });

  it('reports a notification that fails every attempt, naming the host only', async () => {
    const hook = await receiver(100);
    const failures: { target: string; error: string }[] = [];
    const n = createNotifier({
      targets: [{ kind: 'slack', url: `${hook.url}/T000/SECRETPATH` }],
      attempts: 3,
      backoffMs: 10,
      onFailure: (f) => failures.push(f),
    });
    n.notify('approval.requested', record('a3'));
    await n.close();
    expect(hook.hits()).toBe(3);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ error: 'HTTP 503' });
    expect(JSON.stringify(failures)).not.toContain('SECRETPATH');
    hook.server.close();
  });

  it('refuses a target that is not an http(s) URL when created, without echoing it', () => {
    const make = (url: string) => () => createNotifier({ targets: [{ kind: 'slack', url }] });
    expect(make('T000/SECRETPATH')).toThrow(/slack notification target is not an http\(s\) URL/);
    expect(make('T000/SECRETPATH')).not.toThrow(/SECRETPATH/);
    expect(make('file:///T000/SECRETPATH')).toThrow(/not an http\(s\) URL/);
  });
});

describe('file store', () => {
  it('keeps grants across a restart and marks holds of the dead process abandoned', async () => {
    const { store, dir } = await tempStore();
    await store.createApproval(record('held'));
    await store.createApproval({ ...record('access'), kind: 'access' });
    await store.putGrant({
      id: 'g1',
      subject: 'alice',
      issuer: 'https://issuer.test',
      connection: 'clinic',
      approval: 'access',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await store.close();
    const again = await FileApprovalStore.open(dir);
    expect((await again.getApproval('held'))?.status).toBe('abandoned');
    expect((await again.getApproval('access'))?.status).toBe('pending');
    expect((await again.listGrants()).map((g) => g.id)).toEqual(['g1']);
    await again.close();
  });

  it('serialises concurrent updates: only one decision wins', async () => {
    const { store } = await tempStore();
    await store.createApproval(record('race'));
    const decide = (status: 'approved' | 'denied') =>
      store.updateApproval('race', (r) => (r.status === 'pending' ? { ...r, status } : undefined));
    const [a, b] = await Promise.all([decide('approved'), decide('denied')]);
    expect(a?.status).toBe('approved');
    expect(b?.status).toBe('approved');
    await store.close();
  });
});
