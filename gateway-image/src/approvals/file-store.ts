/**
 * The single-node store: one JSON document, rewritten atomically (temporary file, fsync, rename)
 * after every change, so grants survive a restart. A restarted gateway has lost every connection
 * it was holding, so approvals still pending when the file is opened are marked abandoned.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors';
import type { ApprovalRecord, ApprovalStatus, GrantRecord } from './model';
import { type ApprovalStore, ChangeFeed, type Mutation, type StoreChange } from './store';

interface Document {
  readonly version: 1;
  approvals: Record<string, ApprovalRecord>;
  grants: Record<string, GrantRecord>;
}

/** Decided approvals and ended grants kept for listing; older ones are dropped (the audit log keeps them). */
const KEEP_FINISHED = 1000;

export class FileApprovalStore implements ApprovalStore {
  private readonly feed = new ChangeFeed();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly file: string,
    private doc: Document,
  ) {}

  static async open(dir: string, now: () => Date = () => new Date()): Promise<FileApprovalStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'approvals.json');
    let doc: Document = { version: 1, approvals: {}, grants: {} };
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Document;
      if (parsed?.version !== 1) throw new Error(`unsupported version ${String(parsed?.version)}`);
      doc = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // Refuse to start rather than silently forget grants and decisions.
        throw new WardenError('ERR_APPROVAL_STORE', `cannot read approvals store ${file}`, { cause: err });
      }
    }
    const store = new FileApprovalStore(file, doc);
    const at = now().toISOString();
    let changed = false;
    for (const [id, r] of Object.entries(doc.approvals)) {
      if (r.status === 'pending' && r.kind === 'command') {
        doc.approvals[id] = { ...r, status: 'abandoned', decidedAt: at };
        changed = true;
      }
    }
    if (changed) await store.persist();
    return store;
  }

  async createApproval(record: ApprovalRecord): Promise<void> {
    await this.write({ kind: 'approval', id: record.id }, () => {
      if (this.doc.approvals[record.id]) throw new WardenError('ERR_APPROVAL_EXISTS', record.id);
      this.doc.approvals[record.id] = record;
      return true;
    });
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.doc.approvals[id];
  }

  async listApprovals(filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    return Object.values(this.doc.approvals)
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async updateApproval(id: string, mutate: Mutation<ApprovalRecord>): Promise<ApprovalRecord | undefined> {
    let result: ApprovalRecord | undefined;
    await this.write({ kind: 'approval', id }, () => {
      const current = this.doc.approvals[id];
      if (!current) return false;
      const next = mutate(current);
      result = next ?? current;
      if (!next) return false;
      this.doc.approvals[id] = next;
      return true;
    });
    return result;
  }

  async putGrant(grant: GrantRecord): Promise<void> {
    await this.write({ kind: 'grant', id: grant.id }, () => {
      this.doc.grants[grant.id] = grant;
      return true;
    });
  }

  async listGrants(): Promise<GrantRecord[]> {
    return Object.values(this.doc.grants).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async updateGrant(id: string, mutate: Mutation<GrantRecord>): Promise<GrantRecord | undefined> {
    let result: GrantRecord | undefined;
    await this.write({ kind: 'grant', id }, () => {
      const current = this.doc.grants[id];
      if (!current) return false;
      const next = mutate(current);
      result = next ?? current;
      if (!next) return false;
      this.doc.grants[id] = next;
      return true;
    });
    return result;
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
  }

  /** Applies `change` and persists it, one writer at a time; emits the notice once it is durable. */
  private write(notice: StoreChange, change: () => boolean): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new WardenError('ERR_APPROVAL_STORE', 'approvals store is closed');
      const before = this.doc;
      this.doc = structuredClone(before);
      try {
        if (!change()) {
          this.doc = before;
          return;
        }
        this.prune();
        await this.persist();
      } catch (err) {
        this.doc = before;
        throw err;
      }
      this.feed.emit(notice);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private prune(): void {
    const finished = Object.values(this.doc.approvals)
      .filter((r) => r.status !== 'pending')
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const r of finished.slice(KEEP_FINISHED)) delete this.doc.approvals[r.id];
    const now = Date.now();
    const ended = Object.values(this.doc.grants)
      .filter((g) => g.revokedAt !== undefined || Date.parse(g.expiresAt) <= now)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const g of ended.slice(KEEP_FINISHED)) delete this.doc.grants[g.id];
  }

  private async persist(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(this.doc));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
