/** The period a pack covers: `--from` and `--to` as dates, date-times or today / yesterday (UTC). */
import { WardenError } from '../errors';
import type { Period } from './model';

const DAY_MS = 86_400_000;

/** Midnight UTC of the day `at` falls in. */
export function startOfUtcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/**
 * A point in time from a flag: `today` and `yesterday` are UTC midnights, `YYYY-MM-DD` is that
 * day's UTC midnight, anything else must be an ISO-8601 date-time with a zone.
 */
export function parseInstant(text: string, flag: string, now: Date): Date {
  if (text === 'today') return startOfUtcDay(now);
  if (text === 'yesterday') return new Date(startOfUtcDay(now).getTime() - DAY_MS);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const d = new Date(`${text}T00:00:00Z`);
    if (!Number.isNaN(d.getTime())) return d;
  } else if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const d = new Date(text);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new WardenError(
    'ERR_USAGE',
    `--${flag} "${text}" is not a date (YYYY-MM-DD), an ISO-8601 time with a zone, today or yesterday`,
  );
}

/** The period from the flags: the whole log up to now when they are absent. */
export function periodOf(from: string | undefined, to: string | undefined, now = new Date()): Period {
  const start = from === undefined ? new Date(0) : parseInstant(from, 'from', now);
  const end = to === undefined ? now : parseInstant(to, 'to', now);
  if (end.getTime() <= start.getTime())
    throw new WardenError(
      'ERR_USAGE',
      `--to (${end.toISOString()}) must be after --from (${start.toISOString()})`,
    );
  return { from: start.toISOString(), to: end.toISOString() };
}

export function inPeriod(time: string, p: Period): boolean {
  return time >= p.from && time < p.to;
}

/** The UTC day (YYYY-MM-DD) of an ISO time. */
export function dayOf(time: string): string {
  return time.slice(0, 10);
}
