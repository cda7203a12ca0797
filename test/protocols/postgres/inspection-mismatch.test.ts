/**
 * The inspection invariant end to end: an inspector that reads a command differently from the
 * server (simulated here by one that misses the second statement, as a lexing or grammar
 * difference would) is caught by the CommandComplete tags the real server reports. The session
 * ends before the unjudged statement's completion reaches the client, and the log says why.
 */
import { Client, type ClientConfig } from 'pg';
import { type Harness, startHarness, toyInspect } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    hooks: {
      // Sees only what comes before the first semicolon: the server runs more.
      inspect: (sql) => toyInspect(sql.split(';')[0]!),
    },
  });
}, 60_000);

afterAll(() => h?.close());

it('ends the session on a statement the gateway did not inspect, with an inspection.mismatch event', async () => {
  const c = new Client(h.clientConfig() as ClientConfig);
  c.on('error', () => {});
  await c.connect();
  expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  const err = (await c.query('select 1; create table mismatch_t (a int)').catch((e: unknown) => e)) as {
    code: string;
    message: string;
  };
  expect(err).toMatchObject({ code: 'XX000' });
  expect(err.message).toContain('the database reported a statement Warden did not inspect');
  for (let i = 0; i < 100 && !h.audit.some((a) => a.type === 'session.end'); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const mismatch = h.audit.find((a) => a.type === 'inspection.mismatch');
  expect(mismatch?.body).toMatchObject({
    kind: 'tag',
    index: 1,
    inspected: 'none',
    reported: 'CREATE TABLE',
  });
  // Appended before the session's end, which names the reason.
  const types = h.audit.map((a) => a.type);
  expect(types.indexOf('inspection.mismatch')).toBeLessThan(types.lastIndexOf('session.end'));
  expect(h.audit.find((a) => a.type === 'session.end')?.body).toMatchObject({
    reason: 'inspection-mismatch',
  });
  expect(h.logs.some((l) => l.message.startsWith('ALERT inspection.mismatch'))).toBe(true);
});
