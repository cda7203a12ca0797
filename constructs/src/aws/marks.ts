/**
 * Marks on L1 resources that tell Warden's compliance rules what a resource is *for* (the gateway's
 * security group, a protected database's security group, the task role's policy). A rule sees one
 * CfnResource at a time; these marks let it know which resources to compare against.
 *
 * Stored under a global symbol rather than in construct metadata: metadata would be copied into
 * the cloud assembly, and the marks hold tokens that only make sense inside the running app.
 */
import type { IConstruct } from 'constructs';

const MARK = Symbol.for('warden.aws.mark');

export type WardenMark =
  /** The gateway task's own security group: the only source a protected target may admit. */
  | { readonly role: 'gateway-security-group'; readonly gateway: string }
  /**
   * A security group of a resource reached through the gateway, e.g. an RDS instance. A Kubernetes
   * control plane's may also admit itself: the cluster's own nodes reach their API server so.
   */
  | {
      readonly role: 'protected-target';
      readonly gateway: string;
      readonly connection: string;
      readonly selfIngress?: boolean;
    }
  /** An EKS cluster reached through the gateway: its endpoint must not be public. */
  | { readonly role: 'protected-cluster'; readonly gateway: string; readonly connection: string }
  /** The gateway's task role: it may read exactly `allowedSecrets` (secret ARNs, tokens allowed). */
  | {
      readonly role: 'gateway-task-role';
      readonly gateway: string;
      readonly allowedSecrets: readonly string[];
    }
  /** Write-once storage for audit segments and recordings. */
  | { readonly role: 'audit-storage'; readonly gateway: string }
  /** The gateway's task definition; `config` is the validated placeholder copy of its config. */
  | { readonly role: 'gateway-task'; readonly gateway: string; readonly config: unknown }
  /**
   * Connections whose target cannot be checked in this app (an imported database, a host name):
   * the bypass rule reports them as "could not validate" on the gateway's security group.
   */
  | { readonly role: 'unverifiable-targets'; readonly gateway: string; readonly connections: string[] }
  /** A CloudWatch alarm on one of the gateway's operating signals (aws/operations.ts). */
  | { readonly role: 'gateway-alarm'; readonly gateway: string; readonly signal: string }
  /** The gateway's CloudWatch dashboard. */
  | { readonly role: 'gateway-dashboard'; readonly gateway: string };

type Marked = { [MARK]?: WardenMark[] };

export function addMark(resource: IConstruct, mark: WardenMark): void {
  const m = resource as Marked;
  m[MARK] = [...(m[MARK] ?? []), mark];
}

export function marksOf(resource: IConstruct): readonly WardenMark[] {
  return (resource as Marked)[MARK] ?? [];
}

export function markOf<R extends WardenMark['role']>(
  resource: IConstruct,
  role: R,
): Extract<WardenMark, { role: R }> | undefined {
  return marksOf(resource).find((m): m is Extract<WardenMark, { role: R }> => m.role === role);
}
