/**
 * What the Postgres adapter publishes for observers (the session recorder, metrics) on the
 * `warden.postgres` diagnostics channel (ARCHITECTURE.md: protocol code publishes, sinks subscribe).
 * Every publish is guarded by `hasSubscribers`, so nothing is built when nobody listens.
 *
 * Result rows are published as the bytes written to the client (after masking), and only as many
 * per result as some subscriber asked for with `requestResultRows`: a large result costs nothing
 * past the cap. Subscribers run synchronously and must copy or decode `message` before returning;
 * the buffer is the one being written to the socket.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Principal } from '../../identity/principal';
import type { CompletedResult } from './results/result-tracker';
import { BackendCode } from './wire/backend-framer';
import type { StartupMessage } from './wire/messages';

export const POSTGRES_CHANNEL = 'warden.postgres';
export const postgresChannel = diagnosticsChannel.channel(POSTGRES_CHANNEL);

export type PostgresEvent =
  | {
      readonly type: 'session.start';
      readonly session: string;
      readonly principal: Principal;
      readonly connection: string;
      /** StartupMessage parameters the client sent (user, application_name, …); never the password. */
      readonly parameters: Readonly<Record<string, string>>;
    }
  | {
      /**
       * One round trip, from the client's first message to the ReadyForQuery written back: the
       * time the gateway held it (total minus the upstream's part; approval waits excluded).
       */
      readonly type: 'round-trip';
      readonly session: string;
      readonly addedMs: number;
      readonly upstreamMs: number;
    }
  | {
      /** The upstream login (TCP, TLS, authentication) at session start. */
      readonly type: 'upstream.connect';
      readonly session: string;
      readonly connection: string;
      readonly durationMs: number;
      readonly ok: boolean;
    }
  | {
      /** A RowDescription or DataRow, exactly as written to the client. */
      readonly type: 'row';
      readonly session: string;
      readonly message: Buffer;
    }
  | { readonly type: 'result'; readonly session: string; readonly result: CompletedResult }
  | {
      readonly type: 'session.end';
      readonly session: string;
      readonly reason: string;
      readonly durationMs: number;
      readonly statements: number;
      /** SQLSTATE of the FATAL error the client was sent last, if any. */
      readonly sqlState?: string;
    };

const rowRequests = new Map<symbol, number>();
let rowsWanted = 0;

/**
 * Whether some subscriber wants `row` events (it called `requestResultRows`): only then does a
 * session leave the DataRow fast path. Subscribers of other events (metrics) cost rows nothing.
 */
export function rowsObserved(): boolean {
  return rowRequests.size > 0 && postgresChannel.hasSubscribers;
}

/** A subscriber asks for up to `perResult` rows of each result; the returned function withdraws it. */
export function requestResultRows(perResult: number): () => void {
  const key = Symbol('rows');
  rowRequests.set(key, perResult);
  rowsWanted = Math.max(0, ...rowRequests.values());
  return () => {
    rowRequests.delete(key);
    rowsWanted = Math.max(0, ...rowRequests.values());
  };
}

function publish(event: PostgresEvent): void {
  postgresChannel.publish(event);
}

export function publishUpstreamConnect(
  session: string,
  connection: string,
  durationMs: number,
  ok: boolean,
): void {
  if (postgresChannel.hasSubscribers)
    publish({ type: 'upstream.connect', session, connection, durationMs, ok });
}

/** One session's publisher: keeps the per-result row count that enforces the cap. */
export class SessionEvents {
  private rowsThisResult = 0;

  constructor(private readonly session: string) {}

  start(principal: Principal, connection: string, startup: StartupMessage): void {
    if (!postgresChannel.hasSubscribers) return;
    const parameters = Object.fromEntries(startup.parameters);
    publish({ type: 'session.start', session: this.session, principal, connection, parameters });
  }

  /** One message just written to the client: published if a RowDescription, or a DataRow under the cap. */
  sent(message: Buffer): void {
    const code = message[0];
    if (
      code === BackendCode.RowDescription ||
      (code === BackendCode.DataRow && this.rowsThisResult++ < rowsWanted)
    ) {
      publish({ type: 'row', session: this.session, message });
    }
  }

  result(result: CompletedResult): void {
    this.rowsThisResult = 0;
    if (postgresChannel.hasSubscribers) publish({ type: 'result', session: this.session, result });
  }

  roundTrip(addedMs: number, upstreamMs: number): void {
    if (postgresChannel.hasSubscribers)
      publish({ type: 'round-trip', session: this.session, addedMs, upstreamMs });
  }

  end(reason: string, durationMs: number, statements: number, sqlState: string | undefined): void {
    if (!postgresChannel.hasSubscribers) return;
    publish({
      type: 'session.end',
      session: this.session,
      reason,
      durationMs,
      statements,
      ...(sqlState ? { sqlState } : {}),
    });
  }
}
