/**
 * Keyed hash tokens: HMAC-SHA256 over the entity and the value, so equal values give equal tokens
 * (joins and GROUP BY on tokens still work) and nobody without the key can test a guess.
 *
 * Rotation: a token names the key that made it (`tok_<kid>_…`, kid = a short hash of the key, never
 * the key). Tokens are always made with the current key; `previous` keys let `matches` recognise
 * tokens handed out before a rotation, e.g. when an authorised reviewer re-identifies a record.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Memo } from './memo';

export interface TokenKeyringOptions {
  /** The current key (the resolved `masking.tokenKey` secret). */
  readonly key: string;
  /** Keys used before a rotation (`masking.previousTokenKeys`). @default none */
  readonly previous?: readonly string[];
}

interface Key {
  readonly id: string;
  readonly secret: Buffer;
}

const TOKEN = /^tok_([0-9a-f]{6})_([A-Za-z0-9_-]{22})$/;
/** Keys shorter than this are refused: a short key makes tokens guessable offline. */
export const MIN_TOKEN_KEY_BYTES = 16;

export class TokenKeyring {
  private readonly current: Key;
  private readonly all: readonly Key[];
  /** Tokens repeat (joins, GROUP BY); remembering the recent few thousand saves an HMAC per row. */
  private readonly cache = new Memo<string>(4096);

  constructor(options: TokenKeyringOptions) {
    const keys = [options.key, ...(options.previous ?? [])].map(keyOf);
    this.current = keys[0]!;
    this.all = keys;
  }

  /** The id of the current key (for audit: which key produced the tokens). */
  get keyId(): string {
    return this.current.id;
  }

  token(entity: string, value: string): string {
    const cacheKey = `${entity}\u0000${value}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const out = `tok_${this.current.id}_${digest(this.current, entity, value)}`;
    this.cache.set(cacheKey, out);
    return out;
  }

  /** Whether `token` was made from `value` by the current key or a previous one. */
  matches(token: string, entity: string, value: string): boolean {
    const m = TOKEN.exec(token);
    if (!m) return false;
    const key = this.all.find((k) => k.id === m[1]);
    if (!key) return false;
    const want = Buffer.from(digest(key, entity, value));
    const got = Buffer.from(m[2]!);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

function keyOf(secret: string): Key {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < MIN_TOKEN_KEY_BYTES) {
    throw new RangeError(`token keys must be at least ${MIN_TOKEN_KEY_BYTES} bytes`);
  }
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 6), secret: bytes };
}

function digest(key: Key, entity: string, value: string): string {
  // 128 bits of the HMAC: collisions stay negligible for any table size while tokens stay short.
  return createHmac('sha256', key.secret)
    .update(`${entity}\u0000${value}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}
