/**
 * The `request.attempt` audit event of one HTTP or Kubernetes request, as the command gate asks
 * for it: the request id is both its session and its `request` field.
 */
import type { AttemptOutcome } from '../../audit/bodies';
import type { Principal } from '../../identity/principal';
import type { HttpFacts, KubernetesFacts } from '../../inspect/facts';
import type { GateAuditInput } from '../gate';

export function requestAttempt(
  protocol: 'http' | 'kubernetes',
  g: { readonly principal: Principal; readonly connection: string; readonly session: string },
): (outcome: AttemptOutcome<HttpFacts | KubernetesFacts>) => GateAuditInput<'request.attempt'> {
  return (outcome) => ({
    type: 'request.attempt',
    principal: g.principal,
    connection: g.connection,
    session: g.session,
    body: { protocol, request: g.session, ...outcome },
  });
}
