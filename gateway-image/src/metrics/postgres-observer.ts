/**
 * Timings only the Postgres adapter knows (protocols/postgres/events.ts): how long each round
 * trip spent in the gateway, and upstream logins. Subscribing here costs the adapter's DataRow
 * fast path nothing: rows are published only to subscribers that ask for them.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { POSTGRES_CHANNEL, type PostgresEvent } from '../protocols/postgres/events';
import type { GatewayMetrics } from './definitions';
import type { LabelGuard } from './labels';

export function observePostgres(m: GatewayMetrics, guard: LabelGuard): () => void {
  const added = m.gatewayAdded.labels({ protocol: 'postgres' });
  const onMessage = (message: unknown) => {
    const e = message as PostgresEvent;
    try {
      if (e.type === 'round-trip') added.observe(e.addedMs / 1000);
      else if (e.type === 'upstream.connect') {
        const connection = guard.connection(e.connection);
        if (e.ok) m.upstreamConnect.observe({ protocol: 'postgres', connection }, e.durationMs / 1000);
      }
    } catch {
      // diagnostics_channel would rethrow into the session as an uncaught exception: never.
    }
  };
  diagnosticsChannel.subscribe(POSTGRES_CHANNEL, onMessage);
  return () => diagnosticsChannel.unsubscribe(POSTGRES_CHANNEL, onMessage);
}
