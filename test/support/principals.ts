/**
 * Principal fixtures: who a grant, a policy rule or an approval is about. One agent and one human
 * with the groups the access and policy tests grant on, and the agent that requests approvals.
 */
import type { ApprovalRecord } from '../../gateway-image/src/approvals/model';
import type { Principal } from '../../gateway-image/src/identity/principal';

export const TEST_ISSUER = 'https://issuer.test';

/** A principal as the gateway sees it after OIDC verification, valid for an hour. */
export function principal(kind: 'human' | 'agent', subject: string, groups: string[] = []): Principal {
  return {
    subject,
    kind,
    groups,
    issuer: TEST_ISSUER,
    expiresAt: new Date(Date.now() + 3600_000),
    via: 'oidc',
  };
}

/** An agent in `agents`. */
export const agent = principal('agent', 'ci-bot', ['agents']);
/** A person in `clinicians`. */
export const human = principal('human', 'dr-lee', ['clinicians']);

/** A pending (or `status`) DELETE held by `approve-deletes` for the agent alice, approvable by `dba`. */
export function heldDelete(
  id: string,
  o: { status?: ApprovalRecord['status']; createdAt: number; expiresAt: number },
): ApprovalRecord {
  return {
    id,
    kind: 'command',
    requester: { subject: 'alice', kind: 'agent', issuer: TEST_ISSUER, groups: ['agents'] },
    connection: 'clinic',
    session: 's1',
    command: 'delete from visits where id = $1',
    rule: 'approve-deletes',
    ruleReason: 'deletes need a second pair of eyes',
    approverGroups: ['dba'],
    minApprovers: 1,
    maxWindowMs: 60_000,
    createdAt: new Date(o.createdAt).toISOString(),
    expiresAt: new Date(o.expiresAt).toISOString(),
    status: o.status ?? 'pending',
    votes: [],
  };
}
