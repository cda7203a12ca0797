/**
 * The audit rule on the Postgres data path: a statement's attempt is durable before any byte of
 * the statement reaches the database, and a statement whose attempt cannot be made durable is
 * refused without running. The audit hook here holds each query.attempt until the test lets it go,
 * as a slow fdatasync would.
 */
import { Client, type ClientConfig } from 'pg';
import type { PostgresAuditInput } from '../../../gateway-image/src/protocols/postgres/hooks';
import { type Harness, startHarness } from './harness';

let h: Harness;
const held: { input: PostgresAuditInput; release(ok: boolean): void }[] = [];
let holding = false;

beforeAll(async () => {
  h = await startHarness({
    hooks: {
      audit: (input) =>
        holding && input.type === 'query.attempt'
          ? new Promise<void>((resolve, reject) =>
              held.push({ input, release: (ok) => (ok ? resolve() : reject(new Error('disk full'))) }),
            )
          : Promise.resolve(),
    },
  });
  const c = await h.direct();
  await c.query('create table ledger (id int primary key, note text)');
  await c.end();
}, 60_000);

afterAll(() => h?.close());

async function rows(): Promise<number> {
  const c = await h.direct();
  try {
    return (await c.query('select count(*)::int as n from ledger')).rows[0].n as number;
  } finally {
    await c.end();
  }
}

async function waitHeld(n: number): Promise<void> {
  for (let i = 0; i < 200 && held.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(held.length).toBe(n);
}

it('a write reaches the database only once its attempt is durable; simple and extended protocol', async () => {
  const c = new Client(h.clientConfig() as ClientConfig);
  await c.connect();
  holding = true;
  try {
    const simple = c.query("insert into ledger values (1, 'simple')");
    await waitHeld(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await rows()).toBe(0);
    held.shift()!.release(true);
    await simple;
    expect(await rows()).toBe(1);

    const extended = c.query({ text: 'insert into ledger values ($1, $2)', values: [2, 'extended'] });
    await waitHeld(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await rows()).toBe(1);
    held.shift()!.release(true);
    await extended;
    expect(await rows()).toBe(2);
  } finally {
    holding = false;
    for (const x of held.splice(0)) x.release(true);
    await c.end();
  }
});

it('a statement whose attempt cannot be made durable never runs and returns no row', async () => {
  const c = new Client(h.clientConfig() as ClientConfig);
  await c.connect();
  holding = true;
  try {
    const read = c.query('select id, note from ledger').catch((e: unknown) => e);
    await waitHeld(1);
    held.shift()!.release(false);
    expect(await read).toMatchObject({ code: '58000', message: 'audit log unavailable; statement refused' });
    const write = c.query("insert into ledger values (3, 'lost')").catch((e: unknown) => e);
    await waitHeld(1);
    held.shift()!.release(false);
    expect(await write).toMatchObject({ code: '58000' });
    expect(await rows()).toBe(2);
  } finally {
    holding = false;
    await c.end();
  }
});
