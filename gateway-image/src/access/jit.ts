/**
 * Just-in-time grants as a GrantSource: an in-memory view of the grants in the approvals store,
 * rebuilt whenever the store reports a change (locally, or from another replica through
 * LISTEN/NOTIFY), so the access check stays synchronous. Each live grant carries an AbortSignal
 * that fires when it is revoked, which is how sessions opened on it learn to end.
 */
import type { GrantRecord } from '../approvals/model';
import type { ApprovalStore } from '../approvals/store';
import type { Principal } from '../identity/principal';
import type { Grant, GrantSource } from './grants';

export const JIT_GRANT_PREFIX = 'jit:';

export class JitGrantSource implements GrantSource {
  private grants: GrantRecord[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private unsubscribe: (() => void) | undefined;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly store: ApprovalStore) {}

  /** Loads the grants and follows the store's changes. */
  async start(): Promise<void> {
    this.unsubscribe = this.store.subscribe((c) => {
      if (c.kind === 'grant') void this.refresh();
    });
    await this.refresh();
  }

  grantsFor(principal: Principal, connection: string, now: Date): readonly Grant[] {
    return this.grants
      .filter(
        (g) =>
          g.subject === principal.subject &&
          g.issuer === principal.issuer &&
          g.connection === connection &&
          g.revokedAt === undefined &&
          Date.parse(g.expiresAt) > now.getTime(),
      )
      .map((g) => ({
        name: `${JIT_GRANT_PREFIX}${g.id}`,
        expiresAt: new Date(g.expiresAt),
        revoked: this.controller(g.id).signal,
      }));
  }

  /** Re-reads the grants; resolves when the view (and any revocation it shows) is applied. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      try {
        this.grants = await this.store.listGrants();
      } catch {
        // Keep the last view: a store hiccup must not drop live grants nor invent new ones.
        return;
      }
      for (const g of this.grants) {
        if (g.revokedAt !== undefined) this.controllers.get(g.id)?.abort(new Error('grant revoked'));
      }
      const live = new Set(this.grants.filter((g) => g.revokedAt === undefined).map((g) => g.id));
      for (const id of this.controllers.keys()) if (!live.has(id)) this.controllers.delete(id);
    });
    return this.refreshing;
  }

  close(): void {
    this.unsubscribe?.();
  }

  private controller(id: string): AbortController {
    let c = this.controllers.get(id);
    if (!c) {
      c = new AbortController();
      this.controllers.set(id, c);
    }
    return c;
  }
}
