/**
 * An upstream that breaks the protocol: a backend message the gateway cannot read ends the login
 * or the session, and nothing of it (nor of what came with it) reaches the client.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import type { PostgresConnectionConfig } from '../../../gateway-image/src/config/connections';
import { SharedCatalog } from '../../../gateway-image/src/masking/catalog';
import { ColumnMasker } from '../../../gateway-image/src/masking/column-masker';
import type { MaskingPolicy } from '../../../gateway-image/src/masking/profile';
import { createTextMasker } from '../../../gateway-image/src/masking/text-masker';
import { BackendCode } from '../../../gateway-image/src/protocols/postgres/wire/backend-framer';
import * as w from '../../../gateway-image/src/protocols/postgres/wire/backend-writer';
import { ProtocolError } from '../../../gateway-image/src/protocols/postgres/wire/errors';
import { encodeRowDescription, TypeOid } from '../../../gateway-image/src/protocols/postgres/wire/row-codec';
import { type Harness, startHarness } from './harness';

/** What the fake upstream answers: to the login, and to each simple Query. */
interface Script {
  login: Buffer;
  query: Buffer;
}

const goodLogin = Buffer.concat([
  w.authenticationOk(),
  w.parameterStatus('server_version', '17.0'),
  w.backendKeyData(4242, Buffer.from([1, 2, 3, 4])),
  w.readyForQuery('I'),
]);
const okQuery = Buffer.concat([w.commandComplete('SELECT 0'), w.readyForQuery('I')]);

/** A PostgreSQL that speaks just enough: a startup packet in, then typed messages. */
function fakeUpstream(script: Script, sockets: Set<Socket>): Server {
  return createServer((socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const header = started ? 5 : 4;
        if (pending.length < header) return;
        const size = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
        if (pending.length < size) return;
        const code = started ? pending[0] : undefined;
        pending = pending.subarray(size);
        if (!started) {
          started = true;
          socket.write(script.login);
        } else if (code === 0x51 /* Query */) socket.write(script.query);
        else if (code === 0x58 /* Terminate */) socket.end();
      }
    });
  });
}

const SSN_DESCRIPTION = encodeRowDescription([
  { name: 'ssn', tableOid: 0, column: 0, typeOid: TypeOid.text, typeSize: -1, typeModifier: -1, format: 0 },
]);
const SSN_ROWS = Buffer.concat([
  SSN_DESCRIPTION,
  w.message(BackendCode.DataRow, Buffer.from('\0\x01\0\0\0\x0b123-45-6789')),
]);

const cases: [string, Script][] = [
  [
    'a CommandComplete without its NUL, after rows in the same chunk',
    {
      login: goodLogin,
      query: Buffer.concat([SSN_ROWS, w.message(BackendCode.CommandComplete, Buffer.from('SELECT 1'))]),
    },
  ],
  [
    'a DataRow with a column its RowDescription did not announce (masked session)',
    {
      login: goodLogin,
      query: Buffer.concat([
        SSN_DESCRIPTION,
        w.message(BackendCode.DataRow, Buffer.from('\0\x02\0\0\0\x0b123-45-6789\0\0\0\x0b987-65-4321')),
        okQuery,
      ]),
    },
  ],
  [
    'a DataRow with bytes after its last value (masked session)',
    {
      login: goodLogin,
      query: Buffer.concat([
        SSN_DESCRIPTION,
        w.message(BackendCode.DataRow, Buffer.from('\0\x01\0\0\0\x0b123-45-6789987-65-4321')),
        okQuery,
      ]),
    },
  ],
  [
    'a ParameterStatus without a value',
    { login: goodLogin, query: w.message(BackendCode.ParameterStatus, Buffer.from('TimeZone\0')) },
  ],
  [
    'a NotificationResponse cut short (masked session)',
    {
      login: goodLogin,
      query: Buffer.concat([
        w.message(BackendCode.NotificationResponse, Buffer.from('\0\0\x10\x92ch\x0a3-45-6789')),
        okQuery,
      ]),
    },
  ],
  [
    'a NoticeResponse without its final NUL (masked session)',
    {
      login: goodLogin,
      query: Buffer.concat([
        w.message(BackendCode.NoticeResponse, Buffer.from('Mssn 123-45-6789\0')),
        okQuery,
      ]),
    },
  ],
];

let harness: Harness;
let server: Server;
const sockets = new Set<Socket>();
let upstream: PostgresConnectionConfig['upstream'];
let script: Script = { login: goodLogin, query: okQuery };
let masked = false;

beforeAll(async () => {
  server = fakeUpstream(
    {
      get login() {
        return script.login;
      },
      get query() {
        return script.query;
      },
    },
    sockets,
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const policy: MaskingPolicy = { profile: undefined, strategyFor: () => 'redact' };
  const catalog = new SharedCatalog(async () => ({ columns: [], views: [], functions: [] }));
  await catalog.ready();
  harness = await startHarness({
    hooks: {
      resolveConnection: (name) =>
        name === 'clinic' ? { ...harness.connection, upstream: { ...upstream, port } } : undefined,
      masking: async () => {
        if (!masked) return undefined;
        const textMasker = createTextMasker({ policy });
        const columns = new ColumnMasker({ classification: {}, policy, catalog, phi: true, textMasker });
        return { columns, profile: undefined };
      },
    },
  });
  upstream = { ...harness.connection.upstream, host: '127.0.0.1', tls: { mode: 'disable' } };
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await harness?.close();
});

beforeEach(() => {
  harness.logs.length = 0;
});

it('a BackendKeyData cut short fails the login: the client is refused', async () => {
  script = {
    login: Buffer.concat([
      w.authenticationOk(),
      w.message(BackendCode.BackendKeyData, Buffer.from([0, 0, 1])),
    ]),
    query: okQuery,
  };
  const client = new Client(harness.clientConfig());
  await expect(client.connect()).rejects.toThrow();
  const failed = harness.logs.find((l) => l.message === 'upstream connection failed');
  expect((failed?.err as Error | undefined)?.cause).toBeInstanceOf(ProtocolError);
});

it.each(cases)('%s ends the session, relaying none of it', async (name, s) => {
  script = s;
  masked = name.includes('masked');
  const client = new Client(harness.clientConfig());
  client.on('error', () => undefined);
  const notices: unknown[] = [];
  client.on('notice', (n) => notices.push(n));
  client.on('notification', (n) => notices.push(n));
  await client.connect();
  const err = await client.query('select ssn from patients').catch((e: unknown) => e);
  expect(err).toMatchObject({ code: '08006' });
  expect(notices).toEqual([]);
  const violation = harness.logs.find((l) => l.message === 'upstream protocol violation');
  expect(violation?.err).toBeInstanceOf(ProtocolError);
  await client.end().catch(() => undefined);
});
