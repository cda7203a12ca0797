import type { Logger } from '../logging/logger';
import type { GateLogEntry } from '../protocols/gate';

/** What every adapter's `log` hook (and the session recorder's) receives. */
export type HookLogEntry = GateLogEntry;

/**
 * Internal errors are logged by code and name only: a message may quote upstream output, and a
 * node-postgres error's `detail` carries row values.
 */
export function errorSummary(err: unknown): { code?: string; name: string } | undefined {
  return err instanceof Error ? { code: (err as { code?: string }).code, name: err.name } : undefined;
}

/** The `log` hook the protocol adapters and the recorder get: never an error's message. */
export function hookLog(logger: Logger): (entry: HookLogEntry) => void {
  return ({ level, message, session, err }) => logger[level]({ session, err: errorSummary(err) }, message);
}
