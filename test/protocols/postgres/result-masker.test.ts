/**
 * The result masker on its own: fed the parsed frontend messages the relay forwards (refusal
 * placeholders included), and the upstream frames that answer them.
 */
import { serialize } from 'pg-protocol';
import { SharedCatalog } from '../../../gateway-image/src/masking/catalog';
import { ColumnMasker } from '../../../gateway-image/src/masking/column-masker';
import type { MaskingPolicy } from '../../../gateway-image/src/masking/profile';
import { createTextMasker } from '../../../gateway-image/src/masking/text-masker';
import { ResultMasker } from '../../../gateway-image/src/protocols/postgres/results/result-masker';
import {
  REFUSAL_PARSE,
  REFUSAL_QUERY,
  REFUSED_SQL,
} from '../../../gateway-image/src/protocols/postgres/session/frontend-relay';
import {
  BackendCode,
  type BackendFrame,
  decodeNotification,
  decodeResponseFields,
} from '../../../gateway-image/src/protocols/postgres/wire/backend-framer';
import * as w from '../../../gateway-image/src/protocols/postgres/wire/backend-writer';
import { ProtocolError } from '../../../gateway-image/src/protocols/postgres/wire/errors';
import { parseMessage } from '../../../gateway-image/src/protocols/postgres/wire/frontend-parser';
import {
  decodeDataRow,
  decodeRowDescription,
  encodeRowDescription,
  TypeOid,
} from '../../../gateway-image/src/protocols/postgres/wire/row-codec';

const catalog = new SharedCatalog(async () => ({
  columns: [
    [16384, 'public', 'patients', 'r', 1, 'id'],
    [16384, 'public', 'patients', 'r', 2, 'ssn'],
  ],
  views: [],
  functions: [],
}));
beforeAll(() => catalog.ready());

const SQL = 'select id, ssn from patients';

function newMasker(): ResultMasker {
  const policy: MaskingPolicy = { profile: undefined, strategyFor: () => 'redact' };
  const columns = new ColumnMasker({
    classification: { 'public.patients.ssn': 'SSN' },
    policy,
    catalog,
    phi: true,
    textMasker: createTextMasker({ policy }),
  });
  return new ResultMasker({
    masking: { columns, profile: undefined },
    searchPath: () => ['public'],
    audit: () => {},
  });
}

/** The upstream's answer frames, by name. */
const upstream = {
  parseComplete: () => frame(w.parseComplete()),
  bindComplete: () => frame(w.bindComplete()),
  rowDescription: () =>
    frame(
      encodeRowDescription([
        {
          name: 'id',
          tableOid: 16384,
          column: 1,
          typeOid: TypeOid.int4,
          typeSize: 4,
          typeModifier: -1,
          format: 0,
        },
        {
          name: 'ssn',
          tableOid: 16384,
          column: 2,
          typeOid: TypeOid.text,
          typeSize: -1,
          typeModifier: -1,
          format: 0,
        },
      ]),
    ),
  dataRow: () => frame(dataRow(['7', '123-45-6789'])),
  commandComplete: () => frame(w.commandComplete('SELECT 1')),
  syntaxError: () => frame(w.errorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' })),
  ready: () => frame(w.readyForQuery('I')),
};

function frame(raw: Buffer): BackendFrame {
  return { code: raw[0]!, raw };
}

function dataRow(values: string[]): Buffer {
  const cells = values.map((v) => {
    const cell = Buffer.alloc(4 + Buffer.byteLength(v));
    cell.writeInt32BE(Buffer.byteLength(v));
    cell.write(v, 4);
    return cell;
  });
  return w.message(BackendCode.DataRow, Buffer.concat([Buffer.from([0, values.length]), ...cells]));
}

/** The values of a DataRow the client gets, as text. */
function values(f: BackendFrame | undefined): (string | null)[] {
  return decodeDataRow(f!.raw).map((v) => v?.toString() ?? null);
}

const parse = parseMessage(serialize.parse({ name: 's1', text: SQL }));
const bind = parseMessage(serialize.bind({ statement: 's1', portal: 'p1' }));
const describePortal = parseMessage(serialize.describe({ type: 'P', name: 'p1' }));
const execute = parseMessage(serialize.execute({ portal: 'p1' }));
const sync = parseMessage(serialize.sync());

describe('ResultMasker.outbound (parsed frontend messages)', () => {
  it('forwards each message as its own bytes, unchanged', () => {
    const m = newMasker();
    for (const message of [parse, bind, describePortal, execute, sync, parseMessage(serialize.query(SQL))]) {
      expect(m.outbound(message)).toBe(message.raw);
    }
  });

  it('follows Parse, Bind and Execute by their fields, describing the portal itself first', () => {
    const m = newMasker();
    expect(m.outbound(parse)).toBe(parse.raw);
    expect(m.outbound(bind)).toBe(bind.raw);
    // The injected Describe(portal), written by the gateway, goes ahead of the client's Execute.
    const sent = m.outbound(execute);
    expect(sent).toEqual(Buffer.concat([serialize.describe({ type: 'P', name: 'p1' }), execute.raw]));
    m.outbound(sync);
    expect(m.inbound(upstream.parseComplete())).toBeDefined();
    expect(m.inbound(upstream.bindComplete())).toBeDefined();
    // Its answer is the gateway's: the client never sees it.
    expect(m.inbound(upstream.rowDescription())).toBeUndefined();
    expect(values(m.inbound(upstream.dataRow()))).toEqual(['7', '[SSN]']);
    expect(m.inbound(upstream.commandComplete())).toBeDefined();
    expect(m.inbound(upstream.ready())).toBeDefined();
  });

  it('describes nothing more when the client described the portal', () => {
    const m = newMasker();
    for (const message of [parse, bind, describePortal]) m.outbound(message);
    expect(m.outbound(execute)).toBe(execute.raw);
    m.outbound(sync);
    m.inbound(upstream.parseComplete());
    m.inbound(upstream.bindComplete());
    const described = m.inbound(upstream.rowDescription());
    expect(decodeRowDescription(described!.raw).map((f) => f.typeOid)).toEqual([TypeOid.int4, TypeOid.text]);
    expect(values(m.inbound(upstream.dataRow()))).toEqual(['7', '[SSN]']);
  });

  it('reads a Query by its SQL', () => {
    const m = newMasker();
    m.outbound(parseMessage(serialize.query(SQL)));
    expect(m.inbound(upstream.rowDescription())).toBeDefined();
    expect(values(m.inbound(upstream.dataRow()))).toEqual(['7', '[SSN]']);
  });

  it('takes the refusal placeholders as parsed messages whose bytes are the ones forwarded', () => {
    expect(REFUSAL_QUERY).toMatchObject({ type: 'query', sql: REFUSED_SQL });
    expect(REFUSAL_QUERY.raw).toEqual(serialize.query(REFUSED_SQL));
    expect(REFUSAL_PARSE).toMatchObject({ type: 'parse', name: '__warden_refused__', sql: REFUSED_SQL });
    expect(REFUSAL_PARSE.raw).toEqual(serialize.parse({ name: '__warden_refused__', text: REFUSED_SQL }));

    const m = newMasker();
    // A refused Query, answered with the upstream's syntax error; the next Query is masked as ever.
    expect(m.outbound(REFUSAL_QUERY)).toBe(REFUSAL_QUERY.raw);
    expect(m.inbound(upstream.syntaxError())).toBeDefined();
    expect(m.inbound(upstream.ready())).toBeDefined();
    // A refused Parse: the upstream fails it and skips to Sync (the relay discards until then).
    expect(m.outbound(REFUSAL_PARSE)).toBe(REFUSAL_PARSE.raw);
    m.outbound(sync);
    expect(m.inbound(upstream.syntaxError())).toBeDefined();
    expect(m.inbound(upstream.ready())).toBeDefined();
    m.outbound(parseMessage(serialize.query(SQL)));
    m.inbound(upstream.rowDescription());
    expect(values(m.inbound(upstream.dataRow()))).toEqual(['7', '[SSN]']);
  });
});

describe('ResultMasker.inbound on notices and notifications', () => {
  it('rewrites what they echo, keeping every other field byte for byte', () => {
    const m = newMasker();
    const notification = m.inbound(frame(w.notificationResponse(42, 'ch', 'ssn 123-45-6789')));
    expect(decodeNotification(notification!.raw)).toEqual({
      processId: 42,
      channel: 'ch',
      payload: 'ssn [SSN]',
    });
    const error = w.errorResponse({
      severity: 'ERROR',
      code: '23505',
      message: 'duplicate key value violates unique constraint "patients_ssn_key"',
      detail: 'Key (ssn)=(123-45-6789) already exists.',
    });
    const got = m.inbound(frame(error))!.raw;
    const fields = decodeResponseFields(got);
    expect(fields.find((f) => f.tag === 'D')?.value).not.toContain('123-45-6789');
    expect(fields.filter((f) => f.tag !== 'D')).toEqual(
      decodeResponseFields(error).filter((f) => f.tag !== 'D'),
    );
  });

  it('hands back the very frame when nothing is masked', () => {
    const m = newMasker();
    const notice = frame(w.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'nothing here' }));
    expect(m.inbound(notice)).toBe(notice);
  });
});

describe('ResultMasker.inbound fails closed on frames it cannot read', () => {
  const malformed: [string, Buffer][] = [
    ['NoticeResponse without its final NUL', w.message(BackendCode.NoticeResponse, Buffer.from('Mhello\0'))],
    ['ErrorResponse with a field cut short', w.message(BackendCode.ErrorResponse, Buffer.from('Mhello'))],
    [
      'NotificationResponse without NULs',
      w.message(BackendCode.NotificationResponse, Buffer.from('\0\0\0\x01ch')),
    ],
    ['CopyOutResponse with no column count', w.message(BackendCode.CopyOutResponse, Buffer.from([0]))],
    ['RowDescription cut short', upstream.rowDescription().raw.subarray(0, -2)],
  ];
  it.each(malformed)('%s: ProtocolError, nothing relayed', (_name, raw) => {
    const m = newMasker();
    m.outbound(parseMessage(serialize.query(SQL)));
    expect(() => m.inbound(frame(raw))).toThrow(ProtocolError);
  });
});
