/**
 * The PostgreSQL store's ear: one connection of its own that LISTENs for other replicas' changes
 * and hands them on. A silent network loss is caught by a heartbeat; after any loss it reconnects
 * with backoff and replays every change committed since the last one it knew of (a notice seen
 * twice is harmless; one missed would leave a hold waiting for its timeout).
 */
import { Client } from 'pg';
import { CHANNEL, SCHEMA } from './pg-schema';
import type { StoreChange } from './store';

export interface PgChangeListenerOptions {
  readonly url: string;
  /** This store's id: its own notices were reported when they committed, so they are skipped. */
  readonly instance: string;
  readonly onChange: (change: StoreChange) => void;
  /** @default 5000 */
  readonly connectTimeoutMs?: number;
  /** @default 250 */
  readonly reconnectMinMs?: number;
  /** @default 5000 */
  readonly reconnectMaxMs?: number;
  /** @default 5000 */
  readonly heartbeatMs?: number;
  readonly log?: (message: string, detail: Record<string, unknown>) => void;
}

/** Changes that may have committed out of sequence order when the listener went away. */
const REPLAY_MARGIN = 1000;

export class PgChangeListener {
  private listener: Client | undefined;
  private lastSeq = 0;
  private listenedBefore = false;
  private backoffMs: number;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly o: PgChangeListenerOptions) {
    this.backoffMs = o.reconnectMinMs ?? 250;
    this.timer = setInterval(() => this.heartbeat(), o.heartbeatMs ?? 5000);
    this.timer.unref();
  }

  static async start(o: PgChangeListenerOptions): Promise<PgChangeListener> {
    const l = new PgChangeListener(o);
    try {
      await l.listen();
    } catch (err) {
      l.close();
      throw err;
    }
    return l;
  }

  /** Whether changes from other replicas are being heard right now. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Records a change sequence number known to this store (its own writes included). */
  seen(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    const l = this.listener;
    this.listener = undefined;
    l?.end().catch(() => undefined);
  }

  /** Opens the listening connection, then replays what changed since the last change it knew of. */
  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.o.url,
      connectionTimeoutMillis: this.o.connectTimeoutMs ?? 5000,
      keepAlive: true,
      application_name: 'warden-approvals-listen',
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      let msg: { k: 'approval' | 'grant'; id: string; s: number; from: string };
      try {
        msg = JSON.parse(n.payload);
      } catch {
        return; // Not ours: anyone with access to the database may NOTIFY on the channel.
      }
      this.seen(msg.s);
      // Our own changes were reported when they committed.
      if (msg.from !== this.o.instance) this.o.onChange({ kind: msg.k, id: msg.id });
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (!this.listenedBefore) {
        const { rows } = await client.query<{ seq: string }>(
          `SELECT greatest((SELECT max(seq) FROM ${SCHEMA}.approvals), (SELECT max(seq) FROM ${SCHEMA}.grants), 0) AS seq`,
        );
        this.seen(Number(rows[0]?.seq ?? 0));
      } else {
        const { rows } = await client.query<{ k: 'approval' | 'grant'; id: string; seq: string }>(
          `SELECT 'approval' AS k, id, seq FROM ${SCHEMA}.approvals WHERE seq > $1
           UNION ALL SELECT 'grant', id, seq FROM ${SCHEMA}.grants WHERE seq > $1`,
          [this.lastSeq - REPLAY_MARGIN],
        );
        for (const r of rows) {
          this.seen(Number(r.seq));
          this.o.onChange({ kind: r.k, id: r.id });
        }
      }
    } catch (err) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.listenedBefore = true;
    this.backoffMs = this.o.reconnectMinMs ?? 250;
  }

  private lost(client: Client): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.o.log?.('approvals store lost its PostgreSQL connection; reconnecting', {});
    this.reconnect();
  }

  private reconnect(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(delay * 2, this.o.reconnectMaxMs ?? 5000);
    setTimeout(() => {
      if (this.closed) return;
      this.listen().then(
        () => this.o.log?.('approvals store reconnected', {}),
        () => this.reconnect(),
      );
    }, delay).unref();
  }

  private heartbeat(): void {
    const client = this.listener;
    if (!client) return;
    const timeout = setTimeout(() => this.lost(client), this.o.connectTimeoutMs ?? 5000);
    client.query('SELECT 1').then(
      () => clearTimeout(timeout),
      () => {
        clearTimeout(timeout);
        this.lost(client);
      },
    );
  }
}
