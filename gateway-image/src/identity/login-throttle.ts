/**
 * Per-source limits on failed logins. Each source has a bucket of `maxFailures` failures that
 * refills over `windowMs`; a failure that finds it empty blocks the source for `blockMs`, and while
 * blocked its logins are refused before their credential is checked. Tokens are signed, so this is
 * not about guessing: a flood of bad logins costs TLS handshakes, verifications and audit writes
 * that other clients need, and a blocked source costs almost nothing.
 *
 * A source is an IPv4 address or an IPv6 /64 (one host usually holds a whole /64). Pure state and
 * a clock: the gateway decides where failures are counted (gateway/login-guard.ts).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface LoginThrottleOptions {
  /** Failures a source may make within `windowMs`. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** How long a source that went over the limit is refused. */
  readonly blockMs: number;
  /** Sources tracked at once; the least recently failed are forgotten first. @default 100000 */
  readonly maxSources?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A source just went over its limit. */
export interface ThrottleBlock {
  readonly source: string;
  /** Epoch milliseconds. */
  readonly until: number;
}

interface Bucket {
  /** Failures still allowed, refilled continuously. */
  tokens: number;
  at: number;
  blockedUntil: number;
}

export class LoginThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxSources: number;
  private readonly now: () => number;

  constructor(private readonly o: LoginThrottleOptions) {
    for (const [name, v] of Object.entries({
      maxFailures: o.maxFailures,
      windowMs: o.windowMs,
      blockMs: o.blockMs,
    }))
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
    this.maxSources = o.maxSources ?? 100_000;
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds until `source` may log in again; 0 when it is not blocked. */
  blockedFor(source: string): number {
    const b = this.buckets.get(source);
    return b ? Math.max(0, b.blockedUntil - this.now()) : 0;
  }

  /** Counts a failed login; returns the block when this failure put the source over its limit. */
  failed(source: string): ThrottleBlock | undefined {
    const now = this.now();
    const b = this.bucket(source, now);
    if (b.blockedUntil > now) return undefined;
    b.tokens = Math.min(this.o.maxFailures, b.tokens + ((now - b.at) * this.o.maxFailures) / this.o.windowMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    b.blockedUntil = now + this.o.blockMs;
    return { source, until: b.blockedUntil };
  }

  /** Applies a block decided elsewhere (the primary, for every worker). */
  block(source: string, until: number): void {
    const b = this.bucket(source, this.now());
    b.blockedUntil = Math.max(b.blockedUntil, until);
  }

  private bucket(source: string, now: number): Bucket {
    let b = this.buckets.get(source);
    if (b) {
      // Most recently used last, so the oldest entry is the first to go.
      this.buckets.delete(source);
    } else {
      b = { tokens: this.o.maxFailures, at: now, blockedUntil: 0 };
      if (this.buckets.size >= this.maxSources) this.forgetOne(now);
    }
    this.buckets.set(source, b);
    return b;
  }

  /** Makes room for one more source: the least recently failed one whose block is over goes first. */
  private forgetOne(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.blockedUntil <= now) return void this.buckets.delete(key);
    }
    this.buckets.delete(this.buckets.keys().next().value!);
  }
}

/** The source a client address counts against: IPv4 as is, IPv6 by its /64. */
export function loginSource(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back]
    : front;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
