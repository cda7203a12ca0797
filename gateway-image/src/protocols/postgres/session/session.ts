/**
 * One client connection, after its StartupMessage. A small state machine:
 *   authenticating → connecting → ready ⇄ in-query ⇄ copy-in / copy-out → closed
 * Hold points: login (identity, access, session.start audit), statement gate (every Query and
 * Parse: inspect, decide, awaitApproval, audit) and the result tracker (query.result audit).
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { Socket } from 'node:net';
import { serialize } from 'pg-protocol';
import type { AuditPayload } from '../../../audit/bodies';
import type { PostgresConnectionConfig } from '../../../config/connections';
import type { Principal } from '../../../identity/principal';
import { lexingValueAccepted } from '../../../inspect/sql/settings';
import type { OperationTrace } from '../../../tracing/index';
import { type LiveSession, TERMINATED, terminationAudit, terminationOf } from '../../live-session';
import { postgresChannel, rowsObserved, SessionEvents } from '../events';
import type { PostgresSessionHooks } from '../hooks';
import { ResultAudit } from '../results/result-audit';
import { ResultMasker } from '../results/result-masker';
import {
  type CompletedResult,
  type InspectionMismatch,
  type RelayState,
  ResultTracker,
} from '../results/result-tracker';
import { BackendCode, BackendFramer } from '../wire/backend-framer';
import * as write from '../wire/backend-writer';
import { ProtocolError, StatementTooLongError } from '../wire/errors';
import type { FrontendParser } from '../wire/frontend-parser';
import type { FrontendMessage, RegularMessage, StartupMessage } from '../wire/messages';
import { OutboundBytes } from '../wire/outbound-bytes';
import { clientErrors } from './client-errors';
import { FrontendRelay } from './frontend-relay';
import { decodeToken, login } from './login';
import { gateStatement } from './statement-gate';
import { type BackendKey, cancelUpstream, type UpstreamEndpoint } from './upstream';

export type SessionState = 'authenticating' | 'connecting' | RelayState | 'closed';

export interface SessionOptions {
  readonly id: string;
  readonly client: Socket;
  /** Already past the StartupMessage; may hold bytes the client sent after it. */
  readonly parser: FrontendParser;
  readonly startup: StartupMessage;
  readonly hooks: PostgresSessionHooks;
  readonly maxMessageBytes: number;
  readonly upstreamConnectTimeoutMs: number;
  /** The cancel key the client gets; the listener maps it back to this session. */
  readonly clientKey: BackendKey;
  /**
   * The client's cancel key with the upstream backend's process ID (and a secret of the gateway's
   * own), so the PID a driver was told is the one pg_backend_pid() and notifications report.
   * @default the random `clientKey` is kept
   */
  readonly adoptProcessId?: (processId: number) => BackendKey;
  readonly onClosed: (session: PostgresSession) => void;
}

const TERMINATE = serialize.end();
const MAX_TIMER_MS = 2 ** 31 - 1;

export class PostgresSession {
  readonly id: string;
  private phase: 'authenticating' | 'connecting' | 'relaying' | 'closed' = 'authenticating';
  private readonly inbox: FrontendMessage[] = [];
  private busy = false;
  private upstreamFull = false;
  private upstream: Socket | undefined;
  private endpoint: UpstreamEndpoint | undefined;
  private upstreamKey: BackendKey | undefined;
  private principal: Principal | undefined;
  private connection = '';
  private started = false;
  private startedAt = Date.now();
  private expiryTimer: NodeJS.Timeout | undefined;
  /** The gateway's live-session listing of this session, once it relays. */
  private live: LiveSession | undefined;
  /** Ends approval holds when the connection goes; reason set by SET warden.reason or startup. */
  private readonly ended = new AbortController();
  /** A CancelRequest withdraws a held statement (it has not reached the upstream to be cancelled). */
  private holdCancel = new AbortController();
  private readonly hold = {
    reason: undefined as string | undefined,
    notice: (f: write.ErrorFields) => {
      if (this.phase !== 'closed' && this.o.client.writable) this.o.client.write(write.noticeResponse(f));
    },
    signal: () => {
      // Asked for only when a statement waits for approvers: that round trip is human time.
      this.trip.held = true;
      return AbortSignal.any([this.ended.signal, this.holdCancel.signal]);
    },
  };
  private readonly tracker: ResultTracker;
  private readonly relay: FrontendRelay;
  private readonly framer = new BackendFramer();
  private readonly outbound = new OutboundBytes();
  /** Rewrites results before the tracker sees them; absent when nothing is masked for this session. */
  private masker: ResultMasker | undefined;
  /** Observers (recorder, metrics) learn about the session from these publishes only. */
  private readonly events: SessionEvents;
  /** The round trip being timed for observers (performance.now() marks; 0: none open). */
  private readonly trip = { start: 0, upstreamSent: 0, upstreamDone: 0, held: false };
  /** Spans of the statements allowed in this round trip, and when results were being masked. */
  private readonly traced = { statements: [] as OperationTrace[], maskFirst: 0, maskLast: 0 };
  /** query.result events, repeated executions of a prepared statement folded into one. */
  private readonly results = new ResultAudit({
    emit: (body) => void this.audit({ type: 'query.result', body }),
  });

  constructor(private readonly o: SessionOptions) {
    this.id = o.id;
    this.events = new SessionEvents(o.id);
    this.tracker = new ResultTracker({
      result: (r) => this.auditResult(r),
      parameter: (name, value) => {
        if (name === 'search_path') this.relay.reportedSearchPath(value);
      },
      mismatch: (m) => void this.inspectionMismatch(m),
    });
    this.relay = new FrontendRelay({
      tracker: this.tracker,
      gate: async (request, searchPath) => {
        const verdict = await gateStatement(
          {
            hooks: o.hooks,
            principal: this.principal!,
            connection: this.connection,
            session: this.id,
            searchPath,
            hold: this.hold,
          },
          request,
        );
        if (verdict.allowed && verdict.trace) this.traced.statements.push(verdict.trace);
        return verdict;
      },
      forward: (message) => this.forward(message),
      isClosed: () => this.phase === 'closed',
    });
  }

  get state(): SessionState {
    return this.phase === 'relaying' ? this.tracker.state : this.phase;
  }

  /** Asks for the token, then runs the session until either side goes away. */
  start(): void {
    const { client, startup, parser } = this.o;
    // Until authenticated, only a PasswordMessage (a token) is expected: keep messages small.
    parser.maxMessageBytes = 64 * 1024;
    client.on('data', this.onClientData);
    client.on('error', () => void this.close('client-error'));
    client.on('close', () => void this.close('client-closed'));
    client.on('drain', () => this.upstream?.resume());
    const unsupported = [...startup.parameters.keys()].filter((k) => k.startsWith('_pq_.'));
    if (startup.minorVersion > 0 || unsupported.length > 0)
      client.write(write.negotiateProtocolVersion(0, unsupported));
    client.write(write.authenticationCleartextPassword());
    this.onClientData(Buffer.alloc(0));
    client.resume();
  }

  /** A CancelRequest for this session's client key arrived: pass it on with the upstream's key. */
  async cancel(): Promise<void> {
    this.holdCancel.abort();
    this.holdCancel = new AbortController();
    if (this.endpoint && this.upstreamKey) await cancelUpstream(this.endpoint, this.upstreamKey);
  }

  /**
   * Ends the session; `fatal` is the last thing the client hears, `detail` goes into the
   * session.end audit body (who terminated it). Idempotent.
   */
  async close(reason: string, fatal?: write.ErrorFields, detail?: Record<string, string>): Promise<void> {
    if (this.phase === 'closed') return;
    const wasBusy = this.phase === 'relaying' && this.tracker.state !== 'ready';
    this.phase = 'closed';
    clearTimeout(this.expiryTimer);
    this.ended.abort();
    this.o.onClosed(this);
    this.live?.closed();
    for (const t of this.traced.statements.splice(0)) t.end(undefined, true);
    if (this.started) this.events.end(reason, Date.now() - this.startedAt, this.relay.attempts, fatal?.code);
    this.results.flush();
    const { client } = this.o;
    if (fatal && client.writable) client.write(write.errorResponse(fatal));
    client.end();
    setTimeout(() => client.destroy(), 2_000).unref();
    const upstream = this.upstream;
    if (upstream && !upstream.destroyed) {
      // Keep reading so a backend blocked on a full socket can see the cancel and exit.
      upstream.removeAllListeners('data').on('data', () => {});
      upstream.resume();
      if (wasBusy) {
        await this.cancel().catch((err: unknown) => this.log('upstream cancel failed', err));
      }
      upstream.end(TERMINATE);
      setTimeout(() => upstream.destroy(), 2_000).unref();
    }
    if (this.started) {
      await this.audit({
        type: 'session.end',
        body: { reason, ...detail, durationMs: Date.now() - this.startedAt, statements: this.relay.attempts },
      });
    }
  }

  private readonly onClientData = (chunk: Buffer): void => {
    if (
      this.trip.start === 0 &&
      this.phase === 'relaying' &&
      (postgresChannel.hasSubscribers || this.o.hooks.tracer)
    )
      this.trip.start = performance.now();
    try {
      for (const m of this.o.parser.parse(chunk)) this.inbox.push(m);
    } catch (err) {
      if (err instanceof StatementTooLongError) {
        void this.close('statement-too-long', clientErrors.statementTooLong(err.bytes, err.limit));
        return;
      }
      this.log('client protocol violation', err);
      void this.close('protocol-violation', clientErrors.protocolViolation());
      return;
    }
    this.pump();
  };

  /** Handles queued client messages in order; a message that needs a hold point pauses the rest. */
  private pump(): void {
    if (this.busy) return;
    this.upstream?.cork();
    try {
      while (this.inbox.length > 0 && this.phase !== 'closed') {
        const pending = this.dispatchOrClose(this.inbox.shift()!);
        if (pending) {
          this.busy = true;
          this.flow();
          pending
            .catch((err: unknown) => {
              this.log('session failed', err);
              return this.close('internal-error', clientErrors.internal());
            })
            .finally(() => {
              this.busy = false;
              this.flow();
              this.pump();
            });
          return;
        }
      }
    } finally {
      this.upstream?.uncork();
    }
  }

  /**
   * A message that has no place where it came (a password in mid-session, a query before login)
   * ends the session as a protocol violation, as one that cannot be parsed does: thrown from
   * here it would escape the socket's data handler and take the whole worker down with it.
   */
  private dispatchOrClose(m: FrontendMessage): Promise<void> | undefined {
    try {
      return this.dispatch(m);
    } catch (err) {
      this.inbox.length = 0;
      if (err instanceof ProtocolError) {
        this.log('client protocol violation', err);
        return void this.close('protocol-violation', clientErrors.protocolViolation());
      }
      this.log('session failed', err);
      return void this.close('internal-error', clientErrors.internal());
    }
  }

  /** Backpressure: the client is read only while nothing is held and the upstream keeps up. */
  private flow(): void {
    if (this.phase === 'closed') return;
    if (this.busy || this.upstreamFull) this.o.client.pause();
    else this.o.client.resume();
  }

  private dispatch(m: FrontendMessage): Promise<void> | undefined {
    if (m.type === 'terminate') {
      void this.close('client-terminated');
      return undefined;
    }
    if (this.phase === 'authenticating') {
      if (m.type !== 'password') throw new ProtocolError(`unexpected ${m.type} before authentication`);
      const token = decodeToken(m.body);
      this.phase = 'connecting';
      return this.login(token);
    }
    if (this.phase !== 'relaying') return undefined;
    return this.relay.relay(m);
  }

  private async login(token: string): Promise<void> {
    const o = this.o;
    const trace = o.hooks.tracer?.start('postgres.login', {});
    const result = await login({
      hooks: o.hooks,
      session: this.id,
      startup: o.startup,
      token,
      upstreamConnectTimeoutMs: o.upstreamConnectTimeoutMs,
      ...(trace ? { trace } : {}),
    });
    trace?.end(
      result.ok
        ? { 'warden.connection': result.connection, 'warden.decision': 'allow' }
        : { 'warden.decision': result.reason },
      // A refused login is an outcome; only the gateway failing to serve one is an error.
      !result.ok && /unavailable|error/.test(result.reason),
    );
    this.principal = result.principal;
    if (!result.ok) {
      this.started = result.started;
      this.connection = o.startup.parameters.get('database') ?? '';
      return this.close(result.reason, result.error);
    }
    this.started = true;
    this.connection = result.connection;
    const upstream = result.upstream.socket;
    if (this.phase !== 'closed' && !(await this.startMasking(result.principal, result.config))) {
      upstream.end(TERMINATE);
      return this.close('masking-unavailable', clientErrors.internal());
    }
    if (this.phase === 'closed') {
      upstream.end(TERMINATE);
      return;
    }
    const lexing = [...result.upstream.parameters].find(([name, value]) => !lexingValueAccepted(name, value));
    if (lexing) {
      upstream.end(TERMINATE);
      this.log('upstream session lexes SQL differently; session refused', undefined);
      return this.close('upstream-lexing-setting', clientErrors.upstreamLexing(lexing[0], lexing[1]), {
        setting: lexing[0],
        value: lexing[1],
      });
    }
    this.events.start(result.principal, result.connection, o.startup);
    this.upstream = upstream;
    this.endpoint = result.endpoint;
    this.upstreamKey = result.upstream.backendKey;
    const sp = result.upstream.parameters.get('search_path');
    if (sp !== undefined) this.relay.reportedSearchPath(sp);
    const hello = [write.authenticationOk()];
    for (const [name, value] of result.upstream.parameters) {
      // Upstream the name carries the principal; the client is told its own, as a direct server
      // would (drivers such as pgjdbc SET it again when the reported name differs).
      const reported = name === 'application_name' ? result.clientApplication : value;
      hello.push(write.parameterStatus(name, reported));
    }
    const upstreamPid = result.upstream.backendKey?.processId;
    const key = upstreamPid && o.adoptProcessId ? o.adoptProcessId(upstreamPid) : o.clientKey;
    hello.push(write.backendKeyData(key.processId, key.secretKey), write.readyForQuery('I'));
    o.client.write(Buffer.concat(hello));
    o.parser.maxMessageBytes = o.maxMessageBytes;
    upstream.on('data', this.onUpstreamData);
    upstream.on('drain', () => {
      this.upstreamFull = false;
      this.flow();
    });
    upstream.on('error', (err) => this.log('upstream socket error', err));
    upstream.on('close', () => {
      const fatal = this.tracker.fatalSeen ? undefined : clientErrors.upstreamClosed();
      void this.close('upstream-closed', fatal);
    });
    this.phase = 'relaying';
    this.hold.reason = result.reason;
    result.revoked?.addEventListener(
      'abort',
      () => void this.close('grant-revoked', clientErrors.grantRevoked()),
      { once: true, signal: this.ended.signal },
    );
    if (result.revoked?.aborted) void this.close('grant-revoked', clientErrors.grantRevoked());
    this.listLive(result.principal, result.connection);
    const ms = Math.max(0, result.expiresAt.getTime() - Date.now());
    this.expiryTimer = setTimeout(
      () => void this.close('credential-expired', clientErrors.credentialExpired()),
      Math.min(ms, MAX_TIMER_MS),
    );
    if (result.upstream.remainder.length > 0) this.onUpstreamData(result.upstream.remainder);
    upstream.resume();
  }

  /** Registers the session as live; an administrator's terminate ends it with who and why. */
  private listLive(principal: Principal, connection: string): void {
    if (this.phase === 'closed') return;
    const live = this.o.hooks.opened?.({ session: this.id, connection, principal });
    if (!live) return;
    this.live = live;
    const terminate = () => {
      const t = terminationOf(live.terminated);
      void this.close(TERMINATED, clientErrors.terminated(t), terminationAudit(t));
    };
    live.terminated.addEventListener('abort', terminate, { once: true, signal: this.ended.signal });
  }

  /** Sets up result masking; false when it cannot be (the session is refused: fail closed). */
  private async startMasking(principal: Principal, config: PostgresConnectionConfig): Promise<boolean> {
    const { hooks } = this.o;
    try {
      // The config login resolved: looking it up again could miss it and relay results unmasked.
      const masking = await hooks.masking?.(principal, config);
      if (masking) {
        this.masker = new ResultMasker({
          masking,
          searchPath: () => this.relay.searchPath,
          audit: (body) => void this.audit({ type: 'mask', body }),
        });
      }
      return true;
    } catch (err) {
      this.log('masking setup failed; session refused', err);
      return false;
    }
  }

  private forward(message: RegularMessage): void {
    if (this.trip.start !== 0 && this.trip.upstreamSent === 0) this.trip.upstreamSent = performance.now();
    const bytes = this.masker ? this.masker.outbound(message) : message.raw;
    if (!this.upstream!.write(bytes)) {
      this.upstreamFull = true;
      this.flow();
    }
  }

  private readonly onUpstreamData = (chunk: Buffer): void => {
    if (this.phase === 'closed') return;
    const out = this.outbound;
    // Rows as the client gets them (after masking) go to observers; nothing is built when nobody listens.
    const observed = rowsObserved();
    if (this.trip.upstreamSent !== 0) this.trip.upstreamDone = performance.now();
    const maskTraced = this.masker !== undefined && this.traced.statements.length > 0;
    if (maskTraced && this.traced.maskFirst === 0) this.traced.maskFirst = performance.now();
    try {
      this.framer.each(chunk, (code, src, start, end) => {
        if (this.tracker.broken) return;
        if (code === BackendCode.DataRow && !observed) {
          // The hot path of a large result: no frame, no view, masked in place into `out`.
          const before = out.length;
          if (!this.masker) out.append(src, start, end);
          else if (!this.masker.rowInto(src, start, end, out)) return;
          this.tracker.row(out.length - before);
          return;
        }
        const upstreamFrame = { code, raw: src.subarray(start, end) };
        const frame = this.masker ? this.masker.inbound(upstreamFrame) : upstreamFrame;
        if (!frame) return;
        const bytes = this.tracker.handle(frame);
        if (!bytes) return;
        if (bytes === upstreamFrame.raw) out.append(src, start, end);
        else out.append(bytes, 0, bytes.length);
        if (observed) this.events.sent(bytes);
      });
    } catch (err) {
      out.take();
      this.log('upstream protocol violation', err);
      void this.close('upstream-protocol-violation', clientErrors.upstreamClosed());
      return;
    }
    if (this.tracker.broken) {
      out.take();
      return;
    }
    if (maskTraced) this.traced.maskLast = performance.now();
    if (out.length === 0) return;
    // One write per chunk: rows relayed unchanged stay views of the chunk they came in.
    if (!this.o.client.write(out.take())) this.upstream!.pause();
    if (this.trip.upstreamSent !== 0) this.endTrip();
  };

  /** Once everything the client sent is answered: what the round trip spent in the gateway. */
  private endTrip(): void {
    const t = this.trip;
    if (this.busy || this.inbox.length > 0 || this.tracker.state !== 'ready') return;
    const upstreamMs = t.upstreamDone - t.upstreamSent;
    if (!t.held) this.events.roundTrip(performance.now() - t.start - upstreamMs, upstreamMs);
    if (this.traced.statements.length > 0) this.endTraces();
    t.start = t.upstreamSent = t.upstreamDone = 0;
    t.held = false;
  }

  /** The round trip's statements get its upstream and masking stages, and end. */
  private endTraces(): void {
    const { upstreamSent, upstreamDone } = this.trip;
    const { maskFirst, maskLast } = this.traced;
    for (const trace of this.traced.statements.splice(0)) {
      trace.stageAt('upstream', upstreamSent, upstreamDone);
      if (maskLast > 0) trace.stageAt('masking', maskFirst, maskLast);
      trace.end();
    }
    this.traced.maskFirst = this.traced.maskLast = 0;
  }

  /**
   * The upstream ran something the gateway did not inspect: audited durably, raised as an alert
   * in the gateway log, and the session ends before anything more is relayed.
   */
  private async inspectionMismatch(m: InspectionMismatch): Promise<void> {
    this.o.hooks.log?.({
      level: 'error',
      message: `ALERT inspection.mismatch: ${m.kind === 'tag' ? `statement ${m.index + 1} inspected as ${m.inspected}, upstream reported ${m.reported}` : `upstream reports ${m.setting} = ${m.value}`}`,
      session: this.id,
    });
    const fatal =
      m.kind === 'tag' ? clientErrors.inspectionMismatch() : clientErrors.upstreamLexing(m.setting, m.value);
    // Appended before the session's end, so the log reads in the order things happened.
    const recorded = this.audit({ type: 'inspection.mismatch', body: m });
    await Promise.all([recorded, this.close('inspection-mismatch', fatal)]);
  }

  private auditResult(r: CompletedResult): void {
    this.events.result(r);
    this.results.result(r);
  }

  private async audit(
    event: AuditPayload<'query.result' | 'mask' | 'inspection.mismatch' | 'session.end'>,
  ): Promise<void> {
    try {
      const { principal, connection, id: session } = this;
      // A result or masking count is relayed without waiting for its append (the attempt before it
      // was durable before the statement ran); it rides with the next attempt's fsync.
      const deferred = event.type === 'query.result' || event.type === 'mask';
      await this.o.hooks.audit({ ...event, principal, connection, session, deferred });
    } catch (err) {
      this.log(`audit append failed (${event.type})`, err);
    }
  }

  private log(message: string, err: unknown): void {
    this.o.hooks.log?.({ level: 'error', message, session: this.id, err });
  }
}
