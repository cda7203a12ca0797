/**
 * The audit event: its shape, how its hash is computed, and how a line is parsed back.
 *
 * An event records that something was attempted or decided: who, on which connection and session,
 * which command (as facts), what policy said. It never holds response data (rows, file contents,
 * HTTP bodies): responses may carry PHI, and the audit log is kept far longer and read by more
 * people than recordings are. The body size cap is a backstop for that rule, not the rule itself.
 */
import { createHash } from 'node:crypto';
import { AuditError } from '../errors';
import type { PrincipalKind } from '../identity/principal';
import { type AuditBodies, type AuditPayload, type AuditType, isAuditType } from './bodies';
import { CanonicalJsonError, canonicalize } from './canonical';

/** `prev` of the first event of a log. */
export const GENESIS_HASH = '0'.repeat(64);

/** Largest canonical body, in UTF-8 bytes, that `append` accepts. @default 64 KiB */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** The audit representation of a principal (see `principalSummary`). */
export interface AuditPrincipal {
  readonly subject: string;
  readonly kind: PrincipalKind;
  readonly issuer: string;
  readonly groups: readonly string[];
}

/** JSON data, as canonical JSON accepts it. */
export type AuditJson =
  | null
  | boolean
  | number
  | string
  | readonly AuditJson[]
  | { readonly [k: string]: AuditJson };

/** Who, where and in which session an event happened; `null` or absent for system events. */
interface EventSubject {
  /**
   * Who acted. A full `Principal` may be passed: only subject, kind, issuer and groups are recorded.
   */
  readonly principal?: AuditPrincipal | null;
  readonly connection?: string | null;
  readonly session?: string | null;
}

/**
 * What protocol code hands the audit log; the log adds seq, time and the chain fields. A union by
 * `type`: each type carries its own body (bodies.ts), never response data, canonical size at most
 * `maxBodyBytes`.
 */
export type AuditEventInput<T extends AuditType = AuditType> = AuditPayload<T> & EventSubject;

/** The fields of a line that the chain is made of: the same for every type. */
export interface RecordedFields {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  /** ISO-8601 UTC with milliseconds. */
  readonly time: string;
  readonly principal: AuditPrincipal | null;
  readonly connection: string | null;
  readonly session: string | null;
}

/** One event of a known type, as recorded: a union by `type`, so narrowing on it types the body. */
export type AuditEvent<T extends AuditType = AuditType> = AuditPayload<T> & RecordedFields;

/**
 * One line as read back from a log, before anything is known of its body: the verifier checks
 * chains of these (a newer gateway may write types this one does not know). `knownEvent` gives
 * the typed event.
 */
export interface RecordedEvent extends RecordedFields {
  readonly type: string;
  readonly body: { readonly [k: string]: unknown };
}

/**
 * The typed event of a recorded line whose type this gateway writes; undefined for any other
 * type. A body is trusted to be the one its type names because the gateway wrote it and the
 * chain's hashes and signed checkpoints hold it (`warden audit verify`); the verifier does not
 * rely on this for the bodies it reads itself (checkpoints, seals), which it checks field by field.
 */
export function knownEvent(e: RecordedEvent): AuditEvent | undefined {
  return isAuditType(e.type) ? (e as AuditEvent) : undefined;
}

/** Where protocol code sends events; the gateway injects an `AuditLog` (or a test double). */
export interface AuditSink {
  /** Resolves once the event is durable; rejects with `AuditError` if it cannot be made so. */
  append(input: AuditEventInput): Promise<AuditEvent>;
  /**
   * The same for an event nothing waits on (a statement's result): it keeps its place in the
   * order but may be written with a later batch. @default absent: callers fall back to `append`
   */
  appendDeferred?(input: AuditEventInput): Promise<AuditEvent>;
}

/** Types only the log itself writes; `append` refuses them so a caller cannot forge a checkpoint. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set<AuditType>([
  'checkpoint',
  'segment.sealed',
  'audit.start',
  'audit.recovered',
]);

const TYPE_RE = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;
const HASH_RE = /^[0-9a-f]{64}$/;
const MAX_ID_LENGTH = 512;

/** An event ready to be written: its line (with trailing newline) and its parsed form. */
export interface EncodedEvent {
  readonly event: AuditEvent;
  readonly line: string;
}

/** An input as recorded: principal summarised, absent ids null. Validated by `normalizeInput`. */
export interface NormalizedInput {
  readonly principal: AuditPrincipal | null;
  readonly connection: string | null;
  readonly session: string | null;
  readonly type: AuditType;
  readonly body: AuditBodies[AuditType];
}

/** Fields of an event before hashing. */
export interface EventFields extends NormalizedInput {
  readonly seq: number;
  readonly prev: string;
  readonly time: string;
}

/** The hash of an event: SHA-256 hex over the canonical JSON of every field except `hash`. */
export function eventHash(fields: EventFields | Omit<RecordedEvent, 'hash'>): string {
  return sha256Hex(canonicalize(withoutHash(fields)));
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Hash and serialise an event. The body is canonicalized once and reused; the line keeps a
 * readable key order (seq first, hash last) since only the hash input needs to be canonical.
 */
export function encodeEvent(fields: EventFields, maxBodyBytes: number): EncodedEvent {
  let bodyText: string;
  try {
    bodyText = canonicalize(fields.body);
  } catch (err) {
    const detail = err instanceof CanonicalJsonError ? err.message : String(err);
    throw new AuditError(`audit event ${fields.type}: body is not JSON data (${detail})`, { cause: err });
  }
  const bodyBytes = Buffer.byteLength(bodyText);
  if (bodyBytes > maxBodyBytes) {
    throw new AuditError(
      `audit event ${fields.type}: body is ${bodyBytes} bytes, over the ${maxBodyBytes}-byte cap (audit events never carry response data)`,
    );
  }
  const principal = canonicalPrincipal(fields.principal);
  const connection = JSON.stringify(fields.connection);
  const session = JSON.stringify(fields.session);
  const time = JSON.stringify(fields.time);
  const type = JSON.stringify(fields.type);
  // Exactly canonicalize(event without hash), spelled out in sorted key order because this runs
  // for every event; the verifier recomputes it generically, and the tests hold the two together.
  const hashInput =
    `{"body":${bodyText},"connection":${connection},"prev":"${fields.prev}","principal":${principal},` +
    `"seq":${fields.seq},"session":${session},"time":${time},"type":${type}}`;
  const hash = sha256Hex(hashInput);
  const line =
    `{"seq":${fields.seq},"time":${time},"type":${type},"principal":${principal},"connection":${connection},` +
    `"session":${session},"body":${bodyText},"prev":"${fields.prev}","hash":"${hash}"}\n`;
  return { event: encodedEvent(fields, hash, bodyText), line };
}

/**
 * The event as recorded. Its body is parsed back from the recorded text only when someone reads
 * it (few do; every event pays for encoding), so no caller holds the object it appended.
 */
function encodedEvent(fields: EventFields, hash: string, bodyText: string): AuditEvent {
  const { seq, prev, time, principal, connection, session, type } = fields;
  let body: AuditEvent['body'] | undefined;
  // The body is the input's own, typed with its type by `AuditEventInput`; split into two fields
  // here, the pair is put back together once.
  return {
    seq,
    prev,
    time,
    principal,
    connection,
    session,
    type,
    hash,
    get body() {
      body ??= JSON.parse(bodyText) as AuditEvent['body'];
      return body;
    },
  } as AuditEvent;
}

/** Canonical principals by summary: a session's summary object is reused for all its events. */
const principalTexts = new WeakMap<AuditPrincipal, string>();

function canonicalPrincipal(p: AuditPrincipal | null): string {
  if (p === null) return 'null';
  let text = principalTexts.get(p);
  if (text === undefined) {
    text = canonicalize(p);
    principalTexts.set(p, text);
  }
  return text;
}

function withoutHash(fields: EventFields | Omit<RecordedEvent, 'hash'>): Record<string, unknown> {
  const { seq, prev, time, principal, connection, session, type, body } = fields;
  return { seq, prev, time, principal, connection, session, type, body };
}

/**
 * Check a caller's input and reduce it to what is recorded. Throws `AuditError` naming the
 * problem; `allowReserved` is for the log's own events.
 */
export function normalizeInput(input: AuditEventInput, allowReserved = false): NormalizedInput {
  if (input === null || typeof input !== 'object')
    throw new AuditError('audit event input must be an object');
  const { type, body } = input;
  if (typeof type !== 'string' || type.length > 64 || !TYPE_RE.test(type)) {
    throw new AuditError(`audit event type ${JSON.stringify(type)} is not a dotted lower-case name`);
  }
  if (!isAuditType(type)) {
    throw new AuditError(`audit event type ${type} is not one Warden writes (audit/bodies.ts lists them)`);
  }
  if (!allowReserved && RESERVED_TYPES.has(type)) {
    throw new AuditError(`audit event type ${type} is written only by the audit log itself`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AuditError(`audit event ${type}: body must be an object`);
  }
  return {
    type,
    principal: summarize(input.principal, type),
    connection: optionalId(input.connection, 'connection', type),
    session: optionalId(input.session, 'session', type),
    body,
  };
}

/** Summaries by the principal object they were made from, while its fields stay the same. */
const summaries = new WeakMap<AuditPrincipal, AuditPrincipal>();

function summarize(p: AuditPrincipal | null | undefined, type: string): AuditPrincipal | null {
  if (p === undefined || p === null) return null;
  const known = typeof p === 'object' ? summaries.get(p) : undefined;
  if (known && sameSummary(known, p)) return known;
  const made = summarizeOnce(p, type);
  if (typeof p === 'object') summaries.set(p, made);
  return made;
}

function sameSummary(s: AuditPrincipal, p: AuditPrincipal): boolean {
  return (
    s.subject === p.subject &&
    s.kind === p.kind &&
    s.issuer === p.issuer &&
    s.groups.length === p.groups.length &&
    s.groups.every((g, i) => g === p.groups[i])
  );
}

function summarizeOnce(p: AuditPrincipal, type: string): AuditPrincipal {
  const groups = p.groups;
  const valid =
    typeof p.subject === 'string' &&
    (p.kind === 'human' || p.kind === 'agent') &&
    typeof p.issuer === 'string' &&
    Array.isArray(groups) &&
    groups.every((g) => typeof g === 'string');
  if (!valid) throw new AuditError(`audit event ${type}: principal is not {subject, kind, issuer, groups}`);
  // Copy only the four audited fields: a full Principal also carries token ids and expiry.
  return Object.freeze({
    subject: p.subject,
    kind: p.kind,
    issuer: p.issuer,
    groups: Object.freeze([...groups]),
  });
}

function optionalId(value: string | null | undefined, name: string, type: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > MAX_ID_LENGTH) {
    throw new AuditError(
      `audit event ${type}: ${name} must be a string of at most ${MAX_ID_LENGTH} characters`,
    );
  }
  return value;
}

/** Parse one line into an event, checking its shape (not its hash). Returns a reason on failure. */
export function parseEventLine(line: string): RecordedEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'line is not JSON';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'line is not a JSON object';
  const keys = Object.keys(v).sort().join(',');
  if (keys !== 'body,connection,hash,prev,principal,seq,session,time,type')
    return `unexpected fields: ${keys}`;
  const { seq, prev, hash, time, type, connection, session, body, principal } = v as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    return 'seq is not a positive integer';
  if (typeof prev !== 'string' || !HASH_RE.test(prev)) return 'prev is not a SHA-256 hex digest';
  if (typeof hash !== 'string' || !HASH_RE.test(hash)) return 'hash is not a SHA-256 hex digest';
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) return 'time is not an ISO-8601 timestamp';
  if (typeof type !== 'string' || !TYPE_RE.test(type)) return 'type is not a dotted lower-case name';
  if (connection !== null && typeof connection !== 'string') return 'connection is not a string or null';
  if (session !== null && typeof session !== 'string') return 'session is not a string or null';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body is not an object';
  let recordedPrincipal: AuditPrincipal | null = null;
  if (principal !== null) {
    try {
      recordedPrincipal = summarize(principal as AuditPrincipal, type);
    } catch {
      return 'principal is not {subject, kind, issuer, groups} or null';
    }
  }
  const fields = body as { readonly [k: string]: unknown };
  // In the line's own order, for whoever shows it again (the admin API's search).
  return { seq, time, type, principal: recordedPrincipal, connection, session, body: fields, prev, hash };
}
