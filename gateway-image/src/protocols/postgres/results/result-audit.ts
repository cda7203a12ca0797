/**
 * The `query.result` audit events of one session. Each simple Query and each failed or refused
 * execution gets one event of its own. Repeated successful executions of one prepared statement
 * — a driver running the same statement thousands of times — are folded into one event with
 * `executions` and the summed rows, bytes and duration: the attempt that statement needed was
 * audited once, at Parse, and one result line per execution would cost more than the execution.
 * A fold is written when another result comes (so the log keeps the order in which results
 * completed), after `maxExecutions`, at most `maxAgeMs` after its first execution, and when the
 * session ends.
 */
import type { QueryResultBody } from '../../../audit/bodies';
import type { CompletedResult } from './result-tracker';

export interface ResultAuditOptions {
  /** Writes one `query.result` body. */
  emit(body: QueryResultBody): void;
  /** @default 1000 */
  readonly maxExecutions?: number;
  /** @default 1000 */
  readonly maxAgeMs?: number;
}

interface Fold {
  readonly statement: string;
  readonly fingerprint: string;
  executions: number;
  rows: number;
  bytes: number;
  durationMs: number;
  /** The first execution's tags as reported; a fold of several names the commands it ran. */
  readonly firstTags: readonly string[];
  readonly commands: Set<string>;
  readonly timer: NodeJS.Timeout;
}

export class ResultAudit {
  private fold: Fold | undefined;
  private readonly maxExecutions: number;
  private readonly maxAgeMs: number;

  constructor(private readonly o: ResultAuditOptions) {
    this.maxExecutions = o.maxExecutions ?? 1000;
    this.maxAgeMs = o.maxAgeMs ?? 1000;
  }

  result(r: CompletedResult): void {
    const foldable =
      r.via === 'execute' && r.outcome === 'ok' && r.facts !== undefined && r.statement !== undefined;
    if (!foldable) {
      this.flush();
      this.o.emit(bodyOf(r));
      return;
    }
    const fingerprint = r.facts!.fingerprint;
    if (this.fold && (this.fold.statement !== r.statement || this.fold.fingerprint !== fingerprint))
      this.flush();
    this.fold ??= {
      statement: r.statement!,
      fingerprint,
      executions: 0,
      rows: 0,
      bytes: 0,
      durationMs: 0,
      firstTags: r.tags,
      commands: new Set(),
      timer: setTimeout(() => this.flush(), this.maxAgeMs),
    };
    const fold = this.fold;
    fold.executions++;
    fold.rows += r.rows;
    fold.bytes += r.bytes;
    fold.durationMs += r.durationMs;
    for (const t of r.tags) fold.commands.add(t.replace(/(\s+\d+)+$/, ''));
    if (fold.executions >= this.maxExecutions) this.flush();
  }

  /** Writes the pending fold, if any. */
  flush(): void {
    const fold = this.fold;
    if (!fold) return;
    this.fold = undefined;
    clearTimeout(fold.timer);
    this.o.emit({
      via: 'execute',
      statement: fold.statement,
      fingerprint: fold.fingerprint,
      outcome: 'ok',
      executions: fold.executions,
      rows: fold.rows,
      bytes: fold.bytes,
      tags: fold.executions === 1 ? fold.firstTags : [...fold.commands],
      durationMs: Math.round(fold.durationMs * 1000) / 1000,
    });
  }
}

function bodyOf(r: CompletedResult): QueryResultBody {
  return { ...resultFields(r), ...(r.facts ? { fingerprint: r.facts.fingerprint } : {}) };
}

/** What a result's audit event and its recording line both say of it. */
export function resultFields(r: CompletedResult) {
  return {
    via: r.via,
    ...(r.statement === undefined ? {} : { statement: r.statement }),
    outcome: r.outcome,
    rows: r.rows,
    bytes: r.bytes,
    tags: r.tags,
    ...(r.sqlState ? { sqlState: r.sqlState } : {}),
    durationMs: r.durationMs,
  };
}
