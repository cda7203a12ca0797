/**
 * A streaming JSON rewriter: bytes in, masked bytes out, in constant memory (one token at most,
 * plus the container stack). Structural bytes and unchanged tokens are copied through as they are;
 * only strings (values and member names) that a field rule or the text masker changes are
 * re-encoded. A value at a classified field path is masked whole: every scalar beneath an object
 * or array at that path, except what sits under the paths' code members (json-stream-path.ts),
 * which only the detectors see.
 * A sequence of top-level values (NDJSON) is accepted. Invalid JSON throws: a body the rewriter
 * cannot follow is never passed on half-masked.
 */
import { Transform } from 'node:stream';
import { WardenError } from '../errors';
import { type CompiledFieldPaths, type PathStates, UNNAMED_KEY } from './json-stream-path';
import { Memo } from './memo';
import type { TextMasker } from './text-masker';

export interface JsonMaskOptions {
  /** Runs on every member name and every string value that no field rule covers. */
  readonly masker: TextMasker;
  /** Classified field paths (see `compileFieldPaths`). @default none */
  readonly fields?: CompiledFieldPaths;
  /**
   * Masks a scalar found at a classified path (its JSON text for numbers and booleans); null
   * writes JSON null. @default the entity in brackets, e.g. "[NAME]"
   */
  readonly maskField?: (entity: string, value: string) => string | null;
  /** Longest single token (a string, with its escapes) held while it is masked. @default 8 MiB */
  readonly maxTokenBytes?: number;
  /** Deepest nesting accepted. @default 512 */
  readonly maxDepth?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** What the next significant byte may be. */
enum Expect {
  Value,
  ValueOrClose,
  KeyOrClose,
  Key,
  Colon,
  CommaOrClose,
}

enum Token {
  None,
  String,
  Key,
  Scalar,
}

const SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;
const NO_STATES: PathStates = [];

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isScalarByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d ||
    b === 0x2b ||
    b === 0x2e ||
    b === 0x45
  );
}

export class JsonMaskRewriter {
  /** Masked values per entity (and `<ENTITY>/field` for field rules): counts only, never values. */
  readonly counts: Record<string, number> = {};
  private readonly maxTokenBytes: number;
  private readonly maxDepth: number;
  private expect = Expect.Value;
  private token = Token.None;
  private escaped = false;
  /**
   * Whether the current string has an escape or a control character (so it needs JSON.parse,
   * which decodes the one and refuses the other).
   */
  private sawEscape = false;
  /** Bytes of a token that began in an earlier chunk. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Container stack: object (true) or array, next array index, path states, PHI entity. */
  private readonly isObject: boolean[] = [];
  private readonly nextIndex: number[] = [];
  private readonly states: PathStates[] = [];
  private readonly entities: (string | undefined)[] = [];
  private key: string | number = '';
  /** Entity of the scalar or string value being read (set when the value starts). */
  private valueEntity: string | undefined;
  private offset = 0;
  private readonly fieldKeys = new Map<string, string>();
  private readonly encoded = new Memo<Buffer>(256);

  constructor(private readonly opts: JsonMaskOptions) {
    this.maxTokenBytes = opts.maxTokenBytes ?? 8 * 1024 * 1024;
    this.maxDepth = opts.maxDepth ?? 512;
  }

  /** Masks one chunk; returns what can be sent now (a token split across chunks waits for its end). */
  write(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    const n = chunk.length;
    let pass = 0; // start of the bytes copied through unchanged
    let tokenStart = 0;
    let i = 0;
    const finishToken = (end: number) => {
      const spans = this.held.length > 0;
      const raw = spans ? Buffer.concat([...this.held, chunk.subarray(0, end)]) : chunk;
      const replacement = spans
        ? this.finishToken(raw, 0, raw.length)
        : this.finishToken(chunk, tokenStart, end);
      if (replacement !== undefined || spans) {
        if (!spans) out.push(chunk.subarray(pass, tokenStart));
        out.push(replacement === undefined ? raw : replacement);
        pass = end;
      }
      this.held = [];
      this.heldBytes = 0;
      this.token = Token.None;
      this.sawEscape = false;
    };
    while (i < n) {
      if (this.token === Token.String || this.token === Token.Key) {
        let escaped = this.escaped;
        let special = false;
        for (; i < n; i++) {
          const b = chunk[i]!;
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = special = true;
          else if (b === QUOTE) break;
          else if (b < 0x20) special = true;
        }
        this.escaped = escaped;
        if (special) this.sawEscape = true;
        if (i === n) break;
        finishToken(++i);
        continue;
      }
      if (this.token === Token.Scalar) {
        while (i < n && isScalarByte(chunk[i]!)) i++;
        if (i === n) break;
        finishToken(i);
        continue;
      }
      const b = chunk[i]!;
      if (isWhitespace(b)) {
        i++;
        continue;
      }
      switch (this.expect) {
        case Expect.Colon:
          if (b !== COLON) this.fail(i);
          this.expect = Expect.Value;
          i++;
          continue;
        case Expect.CommaOrClose:
          if (b === COMMA) this.expect = this.isObject[this.isObject.length - 1] ? Expect.Key : Expect.Value;
          else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) this.close(b, i);
          else this.fail(i);
          i++;
          continue;
        case Expect.Key:
        case Expect.KeyOrClose:
          if (b === CLOSE_OBJECT && this.expect === Expect.KeyOrClose) this.close(b, i);
          else if (b === QUOTE) {
            this.token = Token.Key;
            tokenStart = i;
          } else this.fail(i);
          i++;
          continue;
        default:
          if (b === CLOSE_ARRAY && this.expect === Expect.ValueOrClose) {
            this.close(b, i);
            i++;
            continue;
          }
          this.startValue(b, i);
          tokenStart = i;
          i++;
      }
    }
    if (this.token !== Token.None) {
      const from = this.held.length > 0 ? 0 : tokenStart;
      if (this.held.length === 0) out.push(chunk.subarray(pass, tokenStart));
      this.hold(chunk.subarray(from, n));
    } else out.push(chunk.subarray(pass, n));
    this.offset += n;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Ends the document; throws if it stopped inside a value. */
  end(): Buffer {
    let out: Buffer = Buffer.alloc(0);
    if (this.token === Token.Scalar) {
      const raw = Buffer.concat(this.held);
      this.held = [];
      this.token = Token.None;
      const replacement = this.finishToken(raw, 0, raw.length);
      out = replacement === undefined ? raw : replacement;
    }
    if (this.token !== Token.None || this.isObject.length > 0) this.fail(0, 'the JSON document ended early');
    return out;
  }

  private hold(part: Buffer): void {
    this.heldBytes += part.length;
    if (this.heldBytes > this.maxTokenBytes) this.fail(0, 'a JSON token is longer than the masking limit');
    this.held.push(Buffer.from(part)); // a copy: the producer may reuse its chunk
  }

  private startValue(b: number, at: number): void {
    let states = NO_STATES;
    let entity: string | undefined;
    const depth = this.isObject.length;
    const fields = this.opts.fields;
    if (depth === 0) states = fields?.root ?? NO_STATES;
    else {
      const inObject = this.isObject[depth - 1]!;
      const key = inObject ? this.key : this.nextIndex[depth - 1]!++;
      const parent = this.states[depth - 1]!;
      const stepped = fields && parent.length > 0 ? fields.step(parent, key) : undefined;
      states = stepped?.states ?? NO_STATES;
      // Beneath a classified value everything is classified, but for its code members (`use`,
      // `system`), which say what the value is and not whose; a path naming one still counts.
      entity = this.entities[depth - 1];
      if (entity !== undefined && inObject && fields?.codeMembers.has(key as string)) entity = undefined;
      entity ??= stepped?.entity;
    }
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (depth >= this.maxDepth) this.fail(at, 'JSON nesting is deeper than the masking limit');
      this.isObject.push(b === OPEN_OBJECT);
      this.nextIndex.push(0);
      this.states.push(states);
      this.entities.push(entity);
      this.expect = b === OPEN_OBJECT ? Expect.KeyOrClose : Expect.ValueOrClose;
      return;
    }
    this.valueEntity = entity;
    if (b === QUOTE) this.token = Token.String;
    else if (isScalarByte(b)) this.token = Token.Scalar;
    else this.fail(at);
  }

  private close(b: number, at: number): void {
    const isObject = this.isObject.pop();
    if (isObject === undefined || isObject !== (b === CLOSE_OBJECT)) this.fail(at);
    this.nextIndex.pop();
    this.states.pop();
    this.entities.pop();
    this.afterValue();
  }

  private afterValue(): void {
    this.expect = this.isObject.length === 0 ? Expect.Value : Expect.CommaOrClose;
  }

  /** Returns the replacement of the token in buf[start, end), or undefined to copy it unchanged. */
  private finishToken(buf: Buffer, start: number, end: number): Buffer | undefined {
    const kind = this.token;
    if (kind === Token.Key) {
      this.expect = Expect.Colon;
      const name = decodeString(buf, start, end, this.sawEscape, this.offset);
      // Paths step with a member name only when its length is one a path names: the others all
      // step alike, which keeps the remembered transitions few.
      const top = this.states.length - 1;
      const states = this.states[top] ?? NO_STATES;
      if (states.length > 0 || this.entities[top] !== undefined) {
        this.key =
          this.sawEscape || this.opts.fields?.keyLengths.has(end - start - 2) !== false ? name : UNNAMED_KEY;
      }
      // Member names are data too (maps keyed by e-mail address or MRN): the detectors see them.
      return this.detect(name);
    }
    this.afterValue();
    const entity = this.valueEntity;
    if (kind === Token.Scalar) {
      const text = buf.toString('latin1', start, end);
      if (!SCALAR.test(text)) this.fail(0);
      if (entity === undefined || text === 'null') return undefined;
      return this.field(entity, text);
    }
    const value = decodeString(buf, start, end, this.sawEscape, this.offset);
    if (entity !== undefined) return this.field(entity, value);
    return this.detect(value);
  }

  /** The detectors over a string (value or member name); undefined when they change nothing. */
  private detect(value: string): Buffer | undefined {
    const masked = this.opts.masker.mask(value);
    if (masked.text === value) return undefined;
    for (const k in masked.counts) this.counts[k] = (this.counts[k] ?? 0) + masked.counts[k]!;
    return this.encode(masked.text);
  }

  private field(entity: string, value: string): Buffer {
    let key = this.fieldKeys.get(entity);
    if (key === undefined) {
      key = `${entity}/field`;
      this.fieldKeys.set(entity, key);
    }
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    const masked = this.opts.maskField ? this.opts.maskField(entity, value) : `[${entity}]`;
    return masked === null ? JSON_NULL : this.encode(masked);
  }

  /** A masked string as a JSON string token; short ones (labels, initials, years) repeat. */
  private encode(text: string): Buffer {
    if (text.length > 64) return Buffer.from(JSON.stringify(text), 'utf8');
    let b = this.encoded.get(text);
    if (b === undefined) {
      b = Buffer.from(JSON.stringify(text), 'utf8');
      this.encoded.set(text, b);
    }
    return b;
  }

  private fail(at: number, why = 'the response is not valid JSON'): never {
    throw new WardenError('ERR_JSON_STREAM', `${why} (near byte ${this.offset + at})`);
  }
}

const JSON_NULL = Buffer.from('null');

/** `special`: the string has an escape or a control character (see JsonMaskRewriter.sawEscape). */
function decodeString(buf: Buffer, start: number, end: number, special: boolean, offset: number): string {
  const text = buf.toString('utf8', start + 1, end - 1);
  // Most strings have neither: skip JSON.parse for them.
  if (!special) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    throw new WardenError('ERR_JSON_STREAM', `the response is not valid JSON (a string near byte ${offset})`);
  }
}

/** A Transform around JsonMaskRewriter; `counts` is complete once the stream has finished. */
export function createJsonMaskStream(
  opts: JsonMaskOptions,
): Transform & { readonly counts: Record<string, number> } {
  const rewriter = new JsonMaskRewriter(opts);
  const stream = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      try {
        const out = rewriter.write(chunk);
        if (out.length > 0) this.push(out);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      try {
        const out = rewriter.end();
        if (out.length > 0) this.push(out);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  return Object.assign(stream, { counts: rewriter.counts });
}
