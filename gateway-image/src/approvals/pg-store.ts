/**
 * The shared store for several gateway processes and replicas (ARCHITECTURE.md, "Processes:
 * primary and workers"). Records live in the `warden` schema as JSONB; an update is
 * read-modify-write under `SELECT … FOR UPDATE` in one
 * transaction, so — as with the file store's lock — `mutate` runs exactly once on the current
 * record (it may audit as a side effect, so optimistic retries would not do). Each write sends a
 * NOTIFY in its transaction; every store LISTENs on its own connection and tells its subscribers
 * of other replicas' changes as they commit, and of its own as soon as they are committed.
 *
 * Fail closed: without the database nothing is read or written, so no decision can be taken and a
 * hold simply keeps waiting for its timeout. The listener reconnects with backoff and then replays
 * every change it may have missed (a notice seen twice is harmless; one missed would leave a hold
 * waiting).
 */
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { WardenError } from '../errors';
import type { ApprovalRecord, ApprovalStatus, GrantRecord } from './model';
import { PgChangeListener } from './pg-listener';
import { CHANNEL, ensureSchema, housekeep, SCHEMA } from './pg-schema';
import { type ApprovalStore, ChangeFeed, type Mutation, type StoreChange } from './store';

export interface PgApprovalStoreOptions {
  /** `postgres://…` URL of the database holding the `warden` schema (created if missing). */
  readonly url: string;
  /** Pooled connections for reads and writes (the listener has one more of its own). @default 3 */
  readonly poolSize?: number;
  /** Connecting gives up after this long. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** First delay before the listener reconnects; it doubles up to `reconnectMaxMs`. @default 250 */
  readonly reconnectMinMs?: number;
  /** @default 5000 */
  readonly reconnectMaxMs?: number;
  /** How often the listener's connection is checked (a silent network loss raises no error). @default 5000 */
  readonly heartbeatMs?: number;
  /** How often finished records are pruned and orphaned holds abandoned. @default 600000 */
  readonly housekeepingMs?: number;
  /** Told when the listener loses or regains its connection. */
  readonly log?: (message: string, detail: Record<string, unknown>) => void;
  readonly now?: () => Date;
}

type Table = 'approvals' | 'grants';
const KIND_OF = { approvals: 'approval', grants: 'grant' } as const;

export class PgApprovalStore implements ApprovalStore {
  private readonly feed = new ChangeFeed();
  private readonly instance = randomUUID();
  private housekeeping: NodeJS.Timeout | undefined;
  private listener: PgChangeListener | undefined;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly o: PgApprovalStoreOptions,
  ) {}

  static async open(o: PgApprovalStoreOptions): Promise<PgApprovalStore> {
    const pool = new Pool({
      connectionString: o.url,
      max: o.poolSize ?? 3,
      connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'warden-approvals',
    });
    // A pooled connection that dies (idle, or checked out between queries) is discarded and
    // replaced on next use; its query has already failed, so the event itself must not crash us.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PgApprovalStore(pool, o);
    try {
      await ensureSchema(pool);
      await store.housekeep();
      store.listener = await PgChangeListener.start({
        ...o,
        instance: store.instance,
        onChange: (c) => store.feed.emit(c),
      });
    } catch (err) {
      await store.close();
      throw new WardenError('ERR_APPROVAL_STORE', 'cannot open the PostgreSQL approvals store', {
        cause: err,
      });
    }
    store.housekeeping = setInterval(
      () => void store.housekeep().catch(() => undefined),
      o.housekeepingMs ?? 600_000,
    );
    store.housekeeping.unref();
    return store;
  }

  async createApproval(record: ApprovalRecord): Promise<void> {
    const inserted = await this.notifying(
      'approvals',
      record.id,
      `INSERT INTO ${SCHEMA}.approvals (id, status, created_at, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING id, seq`,
      [record.id, record.status, record.createdAt, record],
    );
    if (!inserted) throw new WardenError('ERR_APPROVAL_EXISTS', record.id);
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const { rows } = await this.query<{ record: ApprovalRecord }>(
      `SELECT record FROM ${SCHEMA}.approvals WHERE id = $1`,
      [id],
    );
    return rows[0]?.record;
  }

  async listApprovals(filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    const { rows } = await this.query<{ record: ApprovalRecord }>(
      `SELECT record FROM ${SCHEMA}.approvals WHERE $1::text IS NULL OR status = $1
        ORDER BY created_at DESC`,
      [filter.status ?? null],
    );
    return rows.map((r) => r.record);
  }

  updateApproval(id: string, mutate: Mutation<ApprovalRecord>): Promise<ApprovalRecord | undefined> {
    return this.update('approvals', id, mutate);
  }

  async putGrant(grant: GrantRecord): Promise<void> {
    await this.notifying(
      'grants',
      grant.id,
      `INSERT INTO ${SCHEMA}.grants (id, created_at, expires_at, ended, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET created_at = $2, expires_at = $3, ended = $4, record = $5,
         version = grants.version + 1, seq = nextval('${SCHEMA}.change_seq'), updated_at = clock_timestamp()
       RETURNING id, seq`,
      [grant.id, grant.createdAt, grant.expiresAt, grant.revokedAt !== undefined, grant],
    );
  }

  async listGrants(): Promise<GrantRecord[]> {
    const { rows } = await this.query<{ record: GrantRecord }>(
      `SELECT record FROM ${SCHEMA}.grants ORDER BY created_at DESC`,
    );
    return rows.map((r) => r.record);
  }

  updateGrant(id: string, mutate: Mutation<GrantRecord>): Promise<GrantRecord | undefined> {
    return this.update('grants', id, mutate);
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.housekeeping);
    this.listener?.close();
    await this.pool.end().catch(() => undefined);
  }

  /** Whether this store currently hears other replicas' changes. */
  get listening(): boolean {
    return this.listener?.listening ?? false;
  }

  private async update<T extends ApprovalRecord | GrantRecord>(
    table: Table,
    id: string,
    mutate: Mutation<T>,
  ): Promise<T | undefined> {
    let result: T | undefined;
    let changed = false;
    await this.transaction(async (c) => {
      const { rows } = await c.query<{ record: T }>(
        `SELECT record FROM ${SCHEMA}.${table} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const current = rows[0]?.record;
      if (!current) return;
      let next: T | undefined;
      try {
        next = mutate(current);
      } catch (err) {
        throw new Refusal(err);
      }
      result = next ?? current;
      if (!next) return;
      const g = next as GrantRecord;
      const extra =
        table === 'approvals'
          ? { sql: 'status = $3', value: (next as ApprovalRecord).status }
          : { sql: 'ended = $3', value: g.revokedAt !== undefined };
      const { rows: done } = await c.query<{ seq: string }>(
        `UPDATE ${SCHEMA}.${table} SET record = $2, ${extra.sql}, version = version + 1,
           seq = nextval('${SCHEMA}.change_seq'), updated_at = clock_timestamp()
         WHERE id = $1 RETURNING seq`,
        [id, next, extra.value],
      );
      await this.notify(c, table, id, done[0]!.seq);
      changed = true;
    });
    if (changed) this.feed.emit({ kind: KIND_OF[table], id });
    return result;
  }

  /** One statement that writes a row and announces it; resolves false when it wrote nothing. */
  private async notifying(table: Table, id: string, sql: string, params: unknown[]): Promise<boolean> {
    let wrote = false;
    await this.transaction(async (c) => {
      const { rows } = await c.query<{ seq: string }>(sql, params);
      if (!rows[0]) return;
      await this.notify(c, table, id, rows[0].seq);
      wrote = true;
    });
    if (wrote) this.feed.emit({ kind: KIND_OF[table], id });
    return wrote;
  }

  /** Queued with the transaction: delivered to every listener when (and only if) it commits. */
  private async notify(c: PoolClient, table: Table, id: string, seq: string): Promise<void> {
    this.listener?.seen(Number(seq));
    const payload = JSON.stringify({ k: KIND_OF[table], id, s: Number(seq), from: this.instance });
    await c.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  }

  private async transaction(fn: (c: PoolClient) => Promise<void>): Promise<void> {
    const c = await this.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      await fn(c);
      await c.query('COMMIT');
    } catch (err) {
      if (err instanceof Refusal) {
        await c.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err.reason;
      }
      broken = err as Error;
      await c.query('ROLLBACK').catch(() => undefined);
      throw unavailable(err);
    } finally {
      c.release(broken);
    }
  }

  private async query<R extends object>(sql: string, params: unknown[] = []) {
    const c = await this.connect();
    let broken: Error | undefined;
    try {
      return await c.query<R>(sql, params);
    } catch (err) {
      broken = err as Error;
      throw unavailable(err);
    } finally {
      c.release(broken);
    }
  }

  private async connect(): Promise<PoolClient> {
    if (this.closed) throw new WardenError('ERR_APPROVAL_STORE', 'approvals store is closed');
    try {
      return await this.pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
  }

  private async housekeep(): Promise<void> {
    const abandoned = await housekeep(this.pool, (this.o.now ?? (() => new Date()))());
    for (const id of abandoned) this.feed.emit({ kind: 'approval', id });
  }
}

/** What `mutate` threw (an ApprovalError, say): the caller's to handle, passed on as it is. */
class Refusal {
  constructor(readonly reason: unknown) {}
}

function unavailable(err: unknown): WardenError {
  return new WardenError('ERR_APPROVAL_STORE', 'the approvals store is unavailable', { cause: err });
}
