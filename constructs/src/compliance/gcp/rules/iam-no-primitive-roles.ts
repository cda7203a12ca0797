import { fail, type GcpRule, ok, type RuleResult, unknown } from '../rule';
import { isUnresolved } from '../terraform-view';

export const PRIMITIVE_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'];
export const IAM_TYPE = /_iam_(member|binding|policy)$/;

/**
 * Compliant: no IAM grant in the stack uses a basic role (owner, editor, viewer); each spans every
 * service in its scope, PHI stores included, so least privilege cannot hold.
 */
export const IamNoPrimitiveRoles: GcpRule = {
  name: 'IamNoPrimitiveRoles',
  check: (view) =>
    view
      .resources()
      .filter((r) => IAM_TYPE.test(r.type))
      .map((resource): RuleResult => {
        const roles = rolesOf(resource.body);
        if (roles === 'unresolved')
          return { resource, ...unknown('the role or policy is only known at apply') };
        const basic = roles.filter((role) => PRIMITIVE_ROLES.includes(role));
        return {
          resource,
          ...(basic.length === 0 ? ok(`roles: ${roles.join(', ')}`) : fail(`basic role ${basic.join(', ')}`)),
        };
      }),
};

/** Roles an IAM member, binding or policy resource grants. */
export function rolesOf(body: Readonly<Record<string, unknown>>): string[] | 'unresolved' {
  if (typeof body.role === 'string') return isUnresolved(body.role) ? 'unresolved' : [body.role];
  if (typeof body.policy_data !== 'string' || isUnresolved(body.policy_data)) return 'unresolved';
  try {
    const policy = JSON.parse(body.policy_data) as { bindings?: { role?: unknown }[] };
    return (policy.bindings ?? []).map((b) => String(b.role));
  } catch {
    return 'unresolved';
  }
}
