/**
 * The one interface shared state sits behind (ARCHITECTURE.md, "Processes: primary and
 * workers"): a file store for a single node, PostgreSQL when several gateway replicas must see
 * the same approvals and grants. Updates are read-modify-write under the store's own lock, so two
 * approvers deciding at once, or a decision racing a timeout, cannot both win.
 */
import type { ApprovalRecord, ApprovalStatus, GrantRecord } from './model';

export type StoreChange =
  | { readonly kind: 'approval'; readonly id: string }
  | { readonly kind: 'grant'; readonly id: string };

/** Returns the new record, or undefined to leave it unchanged. */
export type Mutation<T> = (current: T) => T | undefined;

export interface ApprovalStore {
  createApproval(record: ApprovalRecord): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(filter?: { readonly status?: ApprovalStatus }): Promise<ApprovalRecord[]>;
  /** Atomically applies `mutate` to the current record; resolves to the stored result. */
  updateApproval(id: string, mutate: Mutation<ApprovalRecord>): Promise<ApprovalRecord | undefined>;
  putGrant(grant: GrantRecord): Promise<void>;
  listGrants(): Promise<GrantRecord[]>;
  updateGrant(id: string, mutate: Mutation<GrantRecord>): Promise<GrantRecord | undefined>;
  /**
   * Called after every change, made here or (for a shared store) by another replica. Listeners
   * re-read what they care about: a change notice carries no state of its own.
   */
  subscribe(listener: (change: StoreChange) => void): () => void;
  close(): Promise<void>;
}

/** Fan-out of change notices to subscribers; a throwing listener does not stop the others. */
export class ChangeFeed {
  private readonly listeners = new Set<(change: StoreChange) => void>();

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A subscriber's bug must not keep a decision from reaching the other holds.
      }
    }
  }
}
