/**
 * The masking bypass suite (issue 4): known ways to get PHI past column masking, sent as the
 * agent (and a clinician where the agent is refused) through the real gateway to a copy of the
 * seeded hospital, with the example policy. For every query: either it is refused, or no raw PHI
 * value — nor its hex, base64 or reversed form — appears in any byte the client receives (rows,
 * descriptions, errors, notices, COPY data). Allowed queries must still return the right non-PHI
 * values.
 */

import type { TLSSocket } from 'node:tls';
import type { Client, QueryResult } from 'pg';
import { loadSqlParser } from '../../../gateway-image/src/inspect/sql';
import { CASES, SETUP, type Who } from './masking-bypass-cases';
import { type MaskingStack, startMaskingStack } from './masking-stack';

let s: MaskingStack;
let direct: Client;
const clients = new Map<Who, { c: Client; received: Buffer[] }>();
/** Raw PHI strings of the patients the queries touch, per principal (clinicians see names raw). */
let forbidden: Record<Who, string[]>;

beforeAll(async () => {
  await loadSqlParser();
  s = await startMaskingStack('mask_bypass', SETUP);
  direct = await s.direct();
  const { rows } = await direct.query(
    `SELECT ssn, mrn, phone, email, street, date_of_birth::text AS dob, first_name || ' ' || last_name AS name
     FROM patients WHERE id <= 10`,
  );
  const strong = rows.flatMap((r) => [
    r.ssn,
    r.ssn.replaceAll('-', ''),
    r.mrn,
    r.phone,
    r.email,
    r.street,
    r.dob,
  ]);
  const names = rows.map((r) => r.name);
  const forms = (v: string[]) =>
    v.flatMap((x) => [
      x,
      Buffer.from(x).toString('hex'),
      Buffer.from(x).toString('base64'),
      [...x].reverse().join(''),
    ]);
  forbidden = { agent: forms([...strong, ...names]), clinician: forms(strong) };
  for (const who of ['agent', 'clinician'] as const) {
    const c = await s.client(who);
    const received: Buffer[] = [];
    // Every decrypted byte the client reads: rows, descriptions, errors, notices, COPY data.
    (c as unknown as { connection: { stream: TLSSocket } }).connection.stream.on('data', (b: Buffer) =>
      received.push(b),
    );
    c.on('notice', () => {});
    c.on('error', () => {});
    clients.set(who, { c, received });
  }
}, 180_000);

afterAll(async () => {
  for (const { c } of clients.values()) await c.end().catch(() => undefined);
  await direct?.end();
  await s?.close();
});

test('the suite covers at least 40 queries', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
});

describe.each(CASES)('bypass: $name', (k) => {
  test(`${k.expect}; no raw PHI reaches the ${k.who ?? 'agent'}`, async () => {
    const { c, received } = clients.get(k.who ?? 'agent')!;
    received.length = 0;
    let result: QueryResult | undefined;
    let error: unknown;
    try {
      result = await c.query({
        text: k.sql,
        ...(k.values ? { values: k.values } : {}),
        ...(k.prepared ? { name: `q_${CASES.indexOf(k)}` } : {}),
        ...(k.binary ? { binary: true } : {}),
      } as never);
    } catch (err) {
      error = err;
      // A failed explicit transaction would poison the next case.
      await c.query('ROLLBACK').catch(() => undefined);
    }
    // Let trailing notices and ReadyForQuery arrive before the bytes are searched.
    await new Promise((r) => setImmediate(r));
    const bytes = Buffer.concat(received);
    const text = bytes.toString('utf8');
    const leaks = forbidden[k.who ?? 'agent'].filter(
      (v) => text.includes(v) || bytes.includes(Buffer.from(v)),
    );
    expect(leaks).toEqual([]);
    if (process.env.WARDEN_MASK_DEBUG)
      console.log(
        k.name,
        error ?? JSON.stringify(result?.rows ?? result).slice(0, 600),
        k.sql.startsWith('COPY') ? text.slice(0, 800) : '',
      );
    if (k.expect === 'allowed') expect(error).toBeUndefined();
    if (k.expect === 'refused') expect(error).toBeDefined();
    if (result && k.check) await k.check(Array.isArray(result) ? result.at(-1) : result, direct);
  }, 30_000);
});

test('control: the byte capture sees raw PHI when policy shows it (break-glass)', async () => {
  const c = await s.client('breakglass');
  const received: Buffer[] = [];
  (c as unknown as { connection: { stream: TLSSocket } }).connection.stream.on('data', (b: Buffer) =>
    received.push(b),
  );
  await c.query(`SELECT ssn, email FROM patients WHERE id <= 5`);
  await c.end();
  const text = Buffer.concat(received).toString('utf8');
  expect(forbidden.clinician.filter((v) => text.includes(v)).length).toBeGreaterThan(0);
});
