import { fail, type GcpRule, na, ok, type RuleResult, unknown } from '../rule';
import { strings, type TfResource } from '../terraform-view';
import { IAM_TYPE, rolesOf } from './iam-no-primitive-roles';

/** Roles that can read secret payloads. */
const READ_ROLES = ['roles/secretmanager.secretAccessor', 'roles/secretmanager.admin'];
const SECRET_IAM = /^google_secret_manager_secret_iam_(member|binding|policy)$/;
const WIDE_IAM = /^google_(project|folder|organization)_iam_(member|binding|policy)$/;

/**
 * The secret resource a reference points at, whichever attribute it reads (`.id`, `.secret_id`,
 * `.name`), so a grant on a gateway secret is recognised however it names the secret.
 */
const secretKey = (v: string) => /\$\{(google_secret_manager_secret\.[^.}]+)/.exec(v)?.[1] ?? v;

/**
 * Compliant: only the gateway's service account can read the gateway's secrets, and nobody holds a
 * project-, folder- or organisation-wide role that reads every secret (the gateway's included).
 */
export const SecretAccessScopedToGateway: GcpRule = {
  name: 'SecretAccessScopedToGateway',
  check: (view) => {
    if (view.gateways.length === 0) return [];
    const members = new Set(view.gateways.map((g) => `serviceAccount:${g.serviceAccountEmail}`));
    const secrets = new Set(view.gateways.flatMap((g) => g.secrets).map(secretKey));
    return view
      .resources()
      .filter((r) => IAM_TYPE.test(r.type))
      .map((resource): RuleResult => ({ resource, ...judge(resource, members, secrets) }));
  },
};

function judge(r: TfResource, gatewayMembers: Set<string>, gatewaySecrets: Set<string>) {
  const roles = rolesOf(r.body);
  if (roles === 'unresolved') {
    return SECRET_IAM.test(r.type) || WIDE_IAM.test(r.type)
      ? unknown('the role or policy is only known at apply')
      : na('not a secret or project grant');
  }
  const reads = roles.filter((role) => READ_ROLES.includes(role));
  if (reads.length === 0) return na('grants no secret read access');
  if (WIDE_IAM.test(r.type))
    return fail(`${reads.join(', ')} at ${r.type.split('_')[1]} level reads every secret`);
  if (!SECRET_IAM.test(r.type)) return na('not a secret grant');
  const secret = r.body.secret_id;
  if (typeof secret !== 'string' || !gatewaySecrets.has(secretKey(secret)))
    return na('a secret the gateway does not use');
  if (r.type.endsWith('_policy'))
    return unknown('an IAM policy on a gateway secret is not checked member by member');
  const granted = typeof r.body.member === 'string' ? [r.body.member] : strings(r.body.members);
  const others = granted.filter((m) => !gatewayMembers.has(m));
  return others.length === 0
    ? ok("only the gateway's service account reads this secret")
    : fail(`${others.join(', ')} can also read a gateway secret`);
}
