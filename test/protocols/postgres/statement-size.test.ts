/**
 * Statements longer than the gateway inspects (listeners.postgres.maxStatementBytes) are refused
 * from their length word: the session ends with 54000 naming the limit, before the text is
 * buffered, parsed or forwarded. Only Query and Parse carry statements: COPY data and Bind
 * parameters are limited by the message size alone.
 */
import { Client } from 'pg';
import { type Harness, startHarness } from './harness';

const LIMIT = 64 * 1024;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ maxStatementBytes: LIMIT });
}, 60_000);
afterAll(async () => {
  await harness?.close();
});

async function client(): Promise<Client> {
  const c = new Client(harness.clientConfig());
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

const literal = (bytes: number) => `'${'x'.repeat(bytes)}'`;

it('runs a statement under the limit', async () => {
  const c = await client();
  const { rows } = await c.query(`select length(${literal(LIMIT - 100)}) as n`);
  expect(rows).toEqual([{ n: LIMIT - 100 }]);
  await c.end();
});

it.each([
  ['a simple Query', (c: Client) => c.query(`select ${literal(LIMIT)}`)],
  ['a Parse', (c: Client) => c.query({ text: `select ${literal(LIMIT)}, $1::int`, values: [1] })],
])('ends the session on %s over the limit, naming the limit and the way out', async (_name, send) => {
  const before = harness.audit.length;
  const c = await client();
  const err = (await send(c).catch((e: unknown) => e)) as { code?: string; message?: string; hint?: string };
  expect(err.code).toBe('54000');
  expect(err.message).toContain(`takes statements of up to ${LIMIT} bytes`);
  expect(err.hint).toContain('listeners.postgres.maxStatementBytes');
  const added = harness.audit.slice(before);
  // Never inspected, never forwarded: no attempt, and the session's end says why.
  expect(added.filter((e) => e.type === 'query.attempt')).toEqual([]);
  expect(added.find((e) => e.type === 'session.end')?.body).toMatchObject({ reason: 'statement-too-long' });
  await c.end().catch(() => undefined);
});

it('limits each statement, not what a session moves: a table past the limit in total loads', async () => {
  const c = await client();
  await c.query('create temp table big (t text)');
  const { rows } = await c.query(
    `insert into big select repeat('y', 1000) from generate_series(1, 200) returning 1`,
  );
  expect(rows).toHaveLength(200);
  const total = await c.query('select sum(length(t))::int as n from big');
  expect(total.rows).toEqual([{ n: 200_000 }]);
  await c.end();
});
