/**
 * Follows the upstream's responses to what the session forwarded, without touching row data:
 * counts rows and bytes per execution, notes command tags and SQLSTATEs, and swaps the error of a
 * refusal placeholder for the gateway's own ErrorResponse. Pure: frames in, bytes to relay out.
 *
 * Responses are matched to requests by "sync groups": each Query and each Sync yields exactly one
 * ReadyForQuery, in order (protocol-flow, "Extended Query": after an error the server discards
 * messages until Sync, so the Executes after a failed one in the same group never answer).
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { SqlFacts } from '../../../inspect/facts';
import { lexingValueAccepted } from '../../../inspect/sql/settings';
import { checkTag, type TagMismatch } from '../session/command-tags';
import {
  BackendCode,
  type BackendFrame,
  decodeCommandTag,
  decodeErrorFields,
  decodeParameterStatus,
} from '../wire/backend-framer';

export type ResultOutcome = 'ok' | 'error' | 'suspended' | 'skipped' | 'refused';

export interface CompletedResult {
  readonly via: 'query' | 'execute' | 'refusal';
  readonly facts: SqlFacts | undefined;
  /** Prepared statement name for Execute ('' = unnamed). */
  readonly statement: string | undefined;
  readonly outcome: ResultOutcome;
  readonly rows: number;
  /** DataRow bytes relayed, headers included. */
  readonly bytes: number;
  readonly tags: readonly string[];
  readonly sqlState: string | undefined;
  readonly durationMs: number;
}

interface Pending {
  via: CompletedResult['via'];
  facts: SqlFacts | undefined;
  statement: string | undefined;
  group: number;
  startedAt: number;
  rows: number;
  bytes: number;
  tags: string[];
  sqlState: string | undefined;
  /** For a refusal placeholder: the ErrorResponse the client gets instead of the upstream's. */
  replacement: Buffer | undefined;
}

export type RelayState = 'ready' | 'in-query' | 'copy-in' | 'copy-out';

export interface TrackerEvents {
  result(r: CompletedResult): void;
  parameter(name: string, value: string): void;
  /**
   * The upstream no longer runs what the gateway inspected: it completed a statement the gateway
   * did not judge (command-tags.ts), or reports a lexing setting the gateway does not parse with.
   * Nothing more is relayed after it: the session must end.
   */
  mismatch(m: InspectionMismatch): void;
}

export type InspectionMismatch =
  | ({ readonly kind: 'tag'; readonly fingerprint: string } & TagMismatch)
  | { readonly kind: 'setting'; readonly setting: string; readonly value: string };

export class ResultTracker {
  private readonly pending: Pending[] = [];
  private sendGroup = 0;
  private recvGroup = 0;
  private copy: 'copy-in' | 'copy-out' | undefined;
  /** Whether the upstream sent a FATAL error: the client has been told why the session ends. */
  fatalSeen = false;
  /** A tag mismatch was seen: every later frame is dropped. */
  broken = false;

  constructor(private readonly events: TrackerEvents) {}

  get state(): RelayState {
    if (this.copy) return this.copy;
    return this.sendGroup > this.recvGroup || this.pending.length > 0 ? 'in-query' : 'ready';
  }

  /** A simple Query was forwarded: one group of its own. */
  query(facts: SqlFacts): void {
    this.push('query', facts, undefined, undefined);
    this.sendGroup++;
  }

  /** An Execute was forwarded within the current group. */
  execute(facts: SqlFacts | undefined, statement: string | undefined): void {
    this.push('execute', facts, statement, undefined);
  }

  /**
   * A refusal placeholder was forwarded (a Query, or a Parse inside the current group) that the
   * upstream will answer with an error; that error is replaced by `error`.
   */
  refusal(error: Buffer, kind: 'query' | 'extended'): void {
    this.push('refusal', undefined, undefined, error);
    if (kind === 'query') this.sendGroup++;
  }

  /** A Sync (or a FunctionCall placeholder Query) was forwarded: the group ends. */
  sync(): void {
    this.sendGroup++;
  }

  /** A DataRow of `bytes` (as relayed) went to the client. */
  row(bytes: number): void {
    const head = this.pending[0];
    if (head?.group !== this.recvGroup) return;
    head.rows++;
    head.bytes += bytes;
  }

  /** The bytes to relay for `frame`, or undefined to drop it. */
  handle(frame: BackendFrame): Buffer | undefined {
    if (this.broken) return undefined;
    const head = this.pending[0]?.group === this.recvGroup ? this.pending[0] : undefined;
    switch (frame.code) {
      case BackendCode.DataRow:
        this.row(frame.raw.length);
        return frame.raw;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        this.copy = undefined;
        if (head) {
          if (frame.code === BackendCode.CommandComplete) {
            const tag = decodeCommandTag(frame.raw);
            const mismatch = head.facts && checkTag(head.facts.statements, head.tags.length, tag);
            if (mismatch)
              return this.break({ kind: 'tag', fingerprint: head.facts!.fingerprint, ...mismatch });
            head.tags.push(tag);
          }
          if (head.via === 'execute') {
            this.complete(frame.code === BackendCode.PortalSuspended ? 'suspended' : 'ok');
          }
        }
        return frame.raw;
      case BackendCode.ErrorResponse:
        return this.error(frame, head);
      case BackendCode.ReadyForQuery:
        this.copy = undefined;
        while (this.pending[0] && this.pending[0].group <= this.recvGroup) {
          const p = this.pending[0];
          this.complete(
            p.via === 'refusal' ? 'refused' : p.sqlState ? 'error' : p.via === 'query' ? 'ok' : 'skipped',
          );
        }
        this.recvGroup++;
        return frame.raw;
      case BackendCode.CopyInResponse:
        this.copy = 'copy-in';
        return frame.raw;
      case BackendCode.CopyOutResponse:
      case BackendCode.CopyBothResponse:
        this.copy = 'copy-out';
        return frame.raw;
      case BackendCode.ParameterStatus: {
        const [name, value] = decodeParameterStatus(frame.raw);
        // A function or a configuration reload changed how the server lexes what comes next.
        if (!lexingValueAccepted(name, value)) return this.break({ kind: 'setting', setting: name, value });
        this.events.parameter(name, value);
        return frame.raw;
      }
      case BackendCode.BackendKeyData:
        // The upstream's cancel key is the gateway's secret; the client has its own.
        return undefined;
      default:
        return frame.raw;
    }
  }

  private break(m: InspectionMismatch): undefined {
    this.broken = true;
    this.events.mismatch(m);
    return undefined;
  }

  private error(frame: BackendFrame, head: Pending | undefined): Buffer {
    const fields = decodeErrorFields(frame.raw);
    this.copy = undefined;
    if (fields.severity === 'FATAL' || fields.severity === 'PANIC') {
      this.fatalSeen = true;
      return frame.raw;
    }
    if (!head) return frame.raw;
    if (head.via === 'refusal' && head.replacement) {
      const replacement = head.replacement;
      head.replacement = undefined;
      head.sqlState = decodeErrorFields(replacement).code;
      return replacement;
    }
    head.sqlState ??= fields.code;
    // An extended-protocol error ends this execution; later ones in the group are skipped.
    if (head.via === 'execute') this.complete('error');
    return frame.raw;
  }

  private push(
    via: Pending['via'],
    facts: SqlFacts | undefined,
    statement: string | undefined,
    replacement: Buffer | undefined,
  ): void {
    this.pending.push({
      via,
      facts,
      statement,
      group: this.sendGroup,
      startedAt: performance.now(),
      rows: 0,
      bytes: 0,
      tags: [],
      sqlState: undefined,
      replacement,
    });
  }

  private complete(outcome: ResultOutcome): void {
    const p = this.pending.shift()!;
    this.events.result({
      via: p.via,
      facts: p.facts,
      statement: p.statement,
      outcome,
      rows: p.rows,
      bytes: p.bytes,
      tags: p.tags,
      sqlState: p.sqlState,
      durationMs: Math.round((performance.now() - p.startedAt) * 1000) / 1000,
    });
  }
}
