/**
 * Masks what the upstream returns, in front of the ResultTracker. It follows every message the
 * session forwards and queues what each one gets back (protocol-flow: Parse → ParseComplete,
 * Bind → BindComplete, Describe → [ParameterDescription] RowDescription | NoData, Execute → rows
 * and a completion, Query → per statement, Sync/Query → ReadyForQuery; after an error the server
 * skips to the next Sync). Each RowDescription is planned against the statement's lineage and the
 * catalog; each DataRow / CopyData is rewritten as it passes.
 *
 * The server sends no RowDescription for an Execute whose portal the client did not describe, so
 * the masker sends its own Describe(portal) first and swallows the answer: rows are never
 * relayed without a plan.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */

import { serialize } from 'pg-protocol';
import type { MaskBody } from '../../../audit/bodies';
import type { Lineage } from '../../../masking/lineage/index';
import type { SessionMasking } from '../hooks';
import { type StatementInfo, StatementInfos } from '../session/statement-info';
import {
  BackendCode,
  type BackendFrame,
  decodeCopyResponse,
  decodeTransactionStatus,
} from '../wire/backend-framer';
import { errorResponse } from '../wire/backend-writer';
import type { RegularMessage } from '../wire/messages';
import type { OutboundBytes } from '../wire/outbound-bytes';
import { decodeRowDescription, type FieldDescription } from '../wire/row-codec';
import { CopyRowMasker } from './copy-masker';
import { NoticeMasker } from './notice-masker';
import { BINARY_COPY_REFUSED, copyData, syntheticField } from './result-wire';
import { type MaskSummary, RowMasker } from './row-masker';

interface Portal {
  readonly info: StatementInfo | undefined;
  describedSinceBind: boolean;
  rows?: RowMasker;
}

type Expect =
  | { readonly kind: 'parse' | 'bind' | 'close' | 'sync' }
  | { readonly kind: 'describe-statement'; readonly info: StatementInfo | undefined }
  | { readonly kind: 'describe-portal'; readonly portal: Portal; readonly injected: boolean }
  | { readonly kind: 'execute'; readonly portal: Portal; readonly name: string }
  | { readonly kind: 'query'; readonly infos: readonly StatementInfo[] | undefined; index: number };

interface Current {
  readonly rows: RowMasker;
  readonly statement: string | number;
  copy?: CopyRowMasker;
}

export interface ResultMaskerOptions {
  readonly masking: SessionMasking;
  readonly searchPath: () => readonly string[];
  /** The `mask` audit event of one statement's result: counts only. */
  audit(body: MaskBody): void;
}

export class ResultMasker {
  private readonly queue: Expect[] = [];
  private readonly statements = new Map<string, StatementInfo>();
  private readonly portals = new Map<string, Portal>();
  private readonly infos: StatementInfos;
  private readonly notices: NoticeMasker;
  private current: Current | undefined;
  /** After an extended-protocol error, until Sync, the server ignores messages: so do we. */
  private skipUntilSync = false;
  /** After a refused binary COPY, nothing reaches the client until ReadyForQuery. */
  private dropUntilReady = false;
  private ddlPending = false;

  constructor(private readonly o: ResultMaskerOptions) {
    const { columns } = o.masking;
    this.infos = new StatementInfos(columns.catalog);
    const echoes = columns.policy.strategyFor('PHI') !== 'raw';
    this.notices = new NoticeMasker(columns.textMasker, echoes, 'PHI');
  }

  /** A message about to be forwarded upstream; returns the bytes to forward instead. */
  outbound(message: RegularMessage): Buffer {
    const bytes = message.raw;
    if (message.type === 'sync') {
      this.skipUntilSync = false;
      this.queue.push({ kind: 'sync' });
      return bytes;
    }
    if (message.type === 'query') {
      this.queue.push({ kind: 'query', infos: this.infos.query(message.sql, this.o.searchPath()), index: 0 });
      return bytes;
    }
    if (this.skipUntilSync) return bytes;
    switch (message.type) {
      case 'parse': {
        const info = this.infos.query(message.sql, this.o.searchPath())?.[0];
        if (info) this.statements.set(message.name, info);
        else this.statements.delete(message.name);
        this.queue.push({ kind: 'parse' });
        return bytes;
      }
      case 'bind':
        this.portals.set(message.portal, {
          info: this.statements.get(message.statement),
          describedSinceBind: false,
        });
        this.queue.push({ kind: 'bind' });
        return bytes;
      case 'describe':
        if (message.target === 'statement') {
          this.queue.push({ kind: 'describe-statement', info: this.statements.get(message.name) });
        } else {
          const portal = this.portal(message.name);
          portal.describedSinceBind = true;
          this.queue.push({ kind: 'describe-portal', portal, injected: false });
        }
        return bytes;
      case 'execute': {
        const name = message.portal;
        const portal = this.portal(name);
        this.queue.push({ kind: 'execute', portal, name });
        if (portal.describedSinceBind) return bytes;
        portal.describedSinceBind = true;
        this.queue.splice(this.queue.length - 1, 0, { kind: 'describe-portal', portal, injected: true });
        return Buffer.concat([serialize.describe({ type: 'P', name }), bytes]);
      }
      case 'close':
        if (message.target === 'statement') this.statements.delete(message.name);
        else this.portals.delete(message.name);
        this.queue.push({ kind: 'close' });
        return bytes;
      default:
        return bytes;
    }
  }

  /** The bytes the client gets for an upstream frame, or undefined to drop it. */
  inbound(frame: BackendFrame): BackendFrame | undefined {
    const { code, raw } = frame;
    if (this.dropUntilReady && code !== BackendCode.ReadyForQuery) return undefined;
    const head = this.queue[0];
    switch (code) {
      case BackendCode.DataRow:
        return this.rowFrame(frame, head);
      case BackendCode.CopyData:
        return this.current?.copy ? { code, raw: copyData(this.current.copy.mask(raw.subarray(5))) } : frame;
      case BackendCode.ErrorResponse:
        this.error();
        return this.masked(frame);
      case BackendCode.NoticeResponse:
      case BackendCode.NotificationResponse:
        return this.masked(frame);
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CloseComplete:
        this.shift(head);
        return frame;
      case BackendCode.ParameterDescription:
        return head?.kind === 'describe-portal' && head.injected ? undefined : frame;
      case BackendCode.RowDescription:
      case BackendCode.NoData:
        return this.describe(frame, head);
      case BackendCode.CopyOutResponse:
        return this.copyOut(frame, head);
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        this.complete(head, code === BackendCode.CommandComplete);
        return frame;
      case BackendCode.ReadyForQuery:
        this.ready(raw, head);
        return frame;
      default:
        return frame;
    }
  }

  private portal(name: string): Portal {
    let p = this.portals.get(name);
    if (!p) {
      p = { info: undefined, describedSinceBind: false };
      this.portals.set(name, p);
    }
    return p;
  }

  private describe(frame: BackendFrame, head: Expect | undefined): BackendFrame | undefined {
    const fields = frame.code === BackendCode.RowDescription ? decodeRowDescription(frame.raw) : [];
    if (head?.kind === 'query') {
      const info = head.infos?.[head.index];
      const rows = this.plan(fields, info?.lineage ?? 'unknown');
      this.current = { rows, statement: head.index };
      return { code: frame.code, raw: rows.description(frame.raw) };
    }
    this.shift(head);
    if (head?.kind === 'describe-statement') {
      const rows = this.plan(fields, head.info?.lineage ?? 'unknown');
      return { code: frame.code, raw: rows.description(frame.raw) };
    }
    if (head?.kind === 'describe-portal') {
      const rows = this.plan(fields, head.portal.info?.lineage ?? 'unknown');
      head.portal.rows = rows;
      return head.injected ? undefined : { code: frame.code, raw: rows.description(frame.raw) };
    }
    throw new Error('RowDescription without a Describe or Query waiting for it');
  }

  private plan(fields: readonly FieldDescription[], lineage: Lineage | 'none'): RowMasker {
    const { columns } = this.o.masking;
    const known: Lineage =
      lineage === 'none'
        ? fields.map(() => ({ kind: 'expr', sources: [], plain: true, opaque: false }))
        : lineage;
    return new RowMasker(columns, columns.plan(fields, known), fields);
  }

  private rowFrame(frame: BackendFrame, head: Expect | undefined): BackendFrame {
    const raw = this.rowsFor(head).row(frame.raw);
    return raw === frame.raw ? frame : { code: frame.code, raw };
  }

  /**
   * The DataRow at src[start, end) as the client gets it, written into `out`: the hot path of a
   * large result (see OutboundBytes). Returns false when the row is dropped.
   */
  rowInto(src: Buffer, start: number, end: number, out: OutboundBytes): boolean {
    if (this.dropUntilReady) return false;
    this.rowsFor(this.queue[0]).rowInto(src, start, end, out);
    return true;
  }

  private rowsFor(head: Expect | undefined): RowMasker {
    if (!this.current && head?.kind === 'execute' && head.portal.rows) {
      this.current = { rows: head.portal.rows, statement: head.name };
    }
    // Rows with no plan would be relayed blind: never.
    if (!this.current) throw new Error('DataRow without a RowDescription to plan it');
    return this.current.rows;
  }

  private copyOut(frame: BackendFrame, head: Expect | undefined): BackendFrame {
    const info =
      head?.kind === 'query'
        ? head.infos?.[head.index]
        : head?.kind === 'execute'
          ? head.portal.info
          : undefined;
    const { binary, columns } = decodeCopyResponse(frame.raw);
    const fields = Array.from({ length: columns }, (_, i) => syntheticField(i));
    const rows = this.plan(fields, info?.copyLineage ?? info?.lineage ?? 'unknown');
    const statement = head?.kind === 'query' ? head.index : head?.kind === 'execute' ? head.name : 0;
    if (binary || info?.copy?.binary) {
      if (rows.masksValues) {
        this.dropUntilReady = true;
        this.current = undefined;
        return { code: BackendCode.ErrorResponse, raw: errorResponse(BINARY_COPY_REFUSED) };
      }
      this.current = { rows, statement };
      return frame;
    }
    const copy = new CopyRowMasker(info?.copy, rows.plans, (plan, value, i) => {
      if (plan.kind === 'mask') rows.countValue(i);
      return rows.maskText(plan, value);
    });
    this.current = { rows, statement, copy };
    return frame;
  }

  private masked(frame: BackendFrame): BackendFrame {
    const counts = { echoes: 0, detections: {} as Record<string, number> };
    const raw = this.notices.mask(frame.raw, counts);
    if (raw === frame.raw) return frame;
    this.o.audit({ via: 'notice', echoes: counts.echoes, detections: counts.detections });
    return { code: frame.code, raw };
  }

  private complete(head: Expect | undefined, commandComplete: boolean): void {
    this.finish();
    if (head?.kind === 'query') {
      if (commandComplete && head.infos?.[head.index]?.ddl) this.ddlPending = true;
      head.index++;
    } else if (head?.kind === 'execute') {
      if (commandComplete && head.portal.info?.ddl) this.ddlPending = true;
      this.queue.shift();
    }
  }

  private error(): void {
    this.finish();
    const head = this.queue[0];
    if (!head || head.kind === 'query' || head.kind === 'sync') return;
    // The server skips to the next Sync: so do the expectations.
    while (this.queue.length > 0 && this.queue[0]!.kind !== 'sync') this.queue.shift();
    if (this.queue.length === 0) this.skipUntilSync = true;
  }

  private ready(raw: Buffer, head: Expect | undefined): void {
    this.finish();
    this.dropUntilReady = false;
    if (head?.kind === 'sync' || head?.kind === 'query') this.queue.shift();
    if (this.ddlPending) {
      // Reloaded after each statement until the transaction ends: uncommitted DDL is invisible to
      // the catalog's own connection, so only a reload after the end is authoritative.
      this.o.masking.columns.catalog.invalidate();
      if (decodeTransactionStatus(raw) === 'I') this.ddlPending = false;
    }
  }

  private shift(head: Expect | undefined): void {
    if (head) this.queue.shift();
  }

  /** Ends the current result: its `mask` audit event, if anything was masked. */
  private finish(): void {
    const c = this.current;
    this.current = undefined;
    const summary: MaskSummary | undefined = c?.rows.summary();
    if (!c || !summary) return;
    this.o.audit({
      via: typeof c.statement === 'number' ? 'query' : 'execute',
      statement: c.statement,
      profile: this.o.masking.profile ?? null,
      columns: summary.columns,
      detections: summary.detections,
    });
  }
}
