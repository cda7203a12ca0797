/**
 * Values that never change once built: deep-frozen and marked, so that whoever encodes them
 * (the audit log's canonical JSON) may remember the encoding instead of walking them again. The
 * SQL inspection cache shares one frozen facts object among every statement of the same shape, so
 * the same object is encoded into thousands of audit events.
 */
const immutable = new WeakSet<object>();

/** Freezes `value` and everything reachable from it, and marks it immutable. */
export function deepFreeze<T>(value: T): T {
  freeze(value);
  if (typeof value === 'object' && value !== null) immutable.add(value);
  return value;
}

function freeze(value: unknown): void {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) freeze(v);
    Object.freeze(value);
  }
}

/** Whether `value` was made immutable by deepFreeze (a frozen object alone is not enough). */
export function isImmutable(value: object): boolean {
  return immutable.has(value);
}
