import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import type { Construct } from 'constructs';
import type { GatewayTarget } from '../compliance/gcp';
import type { INetwork } from './refs';

export interface FenceProps {
  readonly project: string;
  readonly namePrefix: string;
  readonly network: INetwork;
  readonly serviceAccountEmail: string;
  /** The gateway VMs' network tag. */
  readonly gatewayTag: string;
  readonly target: GatewayTarget;
}

/** Firewall names: lower case, letters, digits and dashes, at most 63 characters. */
function fwName(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * Makes the gateway the only network path to a target. A range target (Cloud SQL private IP) gets
 * an egress allow for the gateway and an egress deny for every other VM, because Google's implied
 * egress rule lets any VM connect anywhere. A tagged target (VMs) gets an ingress allow from the
 * gateway's network tag only (GCP rules cannot pair a source service account with target
 * tags); ingress is denied by default.
 */
export function fenceTarget(scope: Construct, id: string, p: FenceProps): ComputeFirewall[] {
  const t = p.target;
  const base = { project: p.project, network: p.network.id, logConfig: { metadata: 'INCLUDE_ALL_METADATA' } };
  const tcp = [{ protocol: 'tcp', ports: [String(t.port)] }];
  const out: ComputeFirewall[] = [];
  const ranges = [...(t.destinationRanges ?? [])];
  if (ranges.length > 0) {
    out.push(
      new ComputeFirewall(scope, `${id}-gateway-egress`, {
        ...base,
        name: fwName(p.namePrefix, 'gw-to', t.connection),
        direction: 'EGRESS',
        priority: 1000,
        allow: tcp,
        destinationRanges: ranges,
        targetServiceAccounts: [p.serviceAccountEmail],
      }),
      new ComputeFirewall(scope, `${id}-deny-others`, {
        ...base,
        name: fwName(p.namePrefix, 'deny-to', t.connection),
        direction: 'EGRESS',
        // Just above the implied allow (65535), below anything a team adds on purpose: a broader
        // allow at a higher priority is exactly what the bypass rule reports.
        priority: 65000,
        deny: tcp,
        destinationRanges: ranges,
      }),
    );
  }
  const tags = [...(t.targetTags ?? [])];
  if (tags.length > 0) {
    out.push(
      new ComputeFirewall(scope, `${id}-gateway-ingress`, {
        ...base,
        name: fwName(p.namePrefix, 'gw-in', t.connection),
        direction: 'INGRESS',
        priority: 1000,
        allow: tcp,
        // GCP does not mix service accounts and tags in one rule: tagged targets are matched by tag.
        sourceTags: [p.gatewayTag],
        targetTags: tags,
      }),
    );
  }
  return out;
}
