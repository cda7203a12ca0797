import { fail, type GcpRule, na, ok, type RuleResult, unknown } from '../rule';
import {
  blocks,
  flag,
  type GatewayManifest,
  type GatewayTarget,
  isUnresolved,
  strings,
  type TerraformView,
  type TfResource,
} from '../terraform-view';
import { contains, overlaps } from './cidr';

/**
 * Bypass detection. Compliant: no firewall rule lets anything but the gateway reach a protected
 * target's port (ingress to the target's VMs, or egress towards its address range), and every
 * target with an address range (a Cloud SQL private IP) sits behind an egress deny for all other
 * VMs, since Google's implied egress rule would otherwise let any VM in the VPC connect. A GKE
 * cluster is fenced by its control plane, not by firewalls: its endpoint must be private only and
 * its master authorized networks set, with no range open to everyone.
 */
export const FirewallTargetOnlyFromGateway: GcpRule = {
  name: 'FirewallTargetOnlyFromGateway',
  check: (view) => {
    if (view.gateways.length === 0) return [];
    const firewalls = view.resources('google_compute_firewall');
    const results = firewalls.map((resource): RuleResult => ({ resource, ...judgeFirewall(resource, view) }));
    for (const gw of view.gateways) {
      for (const t of gw.targets.filter((x) => x.kind === 'kubernetes')) {
        const cluster = t.resource ? view.byAddress(t.resource) : undefined;
        results.push({ resource: cluster ?? view.byAddress(gw.address)!, ...clusterEndpoint(t, cluster) });
      }
      for (const t of gw.targets.filter((x) => (x.destinationRanges ?? []).length > 0)) {
        const resource = (t.resource && view.byAddress(t.resource)) || view.byAddress(gw.address)!;
        results.push({ resource, ...egressDenied(t, firewalls) });
      }
    }
    return results;
  },
};

type Verdict = Omit<RuleResult, 'resource'>;

function judgeFirewall(fw: TfResource, view: TerraformView): Verdict {
  if (flag(fw.body.disabled) === true) return na('disabled');
  if (blocks(fw.body, 'allow').length === 0) return na('a deny rule');
  const egress = String(fw.body.direction ?? 'INGRESS').toUpperCase() === 'EGRESS';
  const problems: string[] = [];
  const unsure: string[] = [];
  for (const gw of view.gateways) {
    if (appliesOnlyToGateway(fw, gw)) continue;
    // A cluster's control plane is not a VM of the network: firewalls do not reach it.
    for (const t of gw.targets.filter((x) => x.kind !== 'kubernetes')) {
      const port = allowsPort(fw, t.port);
      const reaches = port === false ? false : egress ? egressReaches(fw, t) : ingressReaches(fw, t, gw);
      if (port === undefined || reaches === undefined) unsure.push(t.connection);
      else if (reaches) problems.push(`${t.connection} (tcp:${t.port})`);
    }
  }
  if (problems.length > 0) return fail(`admits sources other than the gateway to ${problems.join(', ')}`);
  if (unsure.length > 0)
    return unknown(`ports or ranges only known at apply; may reach ${unsure.join(', ')}`);
  return ok('does not open a protected target to anything but the gateway');
}

/** A rule aimed only at the gateway's own VMs (its listeners, health checks) is not a bypass. */
function appliesOnlyToGateway(fw: TfResource, gw: GatewayManifest): boolean {
  const sas = strings(fw.body.target_service_accounts);
  const tags = strings(fw.body.target_tags);
  if (sas.length > 0) return sas.every((s) => s === gw.serviceAccountEmail);
  return tags.length > 0 && tags.every((t) => gw.tags.includes(t));
}

function ingressReaches(fw: TfResource, t: GatewayTarget, gw: GatewayManifest): boolean | undefined {
  const fwTags = strings(fw.body.target_tags);
  const targetTags = t.targetTags ?? [];
  if (fwTags.length > 0 && targetTags.length > 0 && !fwTags.some((x) => targetTags.includes(x))) {
    // A tag only known at apply may turn out to be one of the target's.
    return fwTags.some(isUnresolved) ? undefined : false;
  }
  const ranges = strings(fw.body.source_ranges);
  const sas = strings(fw.body.source_service_accounts);
  const tags = strings(fw.body.source_tags);
  if (ranges.length > 0) return true;
  if (sas.length > 0) return !sas.every((s) => s === gw.serviceAccountEmail);
  if (tags.length > 0) return !tags.every((x) => gw.tags.includes(x));
  return true;
}

function egressReaches(fw: TfResource, t: GatewayTarget): boolean | undefined {
  const dest = strings(fw.body.destination_ranges);
  const to = dest.length > 0 ? dest : ['0.0.0.0/0'];
  const ranges = t.destinationRanges ?? [];
  // Without known ranges (an SSH host by tag) egress towards it cannot be told apart: ingress decides.
  if (ranges.length === 0) return false;
  const hits = to.flatMap((d) => ranges.map((r) => overlaps(d, r)));
  if (hits.includes(true)) return true;
  return hits.includes(undefined) ? undefined : false;
}

/** true, false, or undefined when the ports are tokens. */
export function allowsPort(fw: TfResource, port: number): boolean | undefined {
  let sure = true;
  for (const rule of blocks(fw.body, 'allow').concat(blocks(fw.body, 'deny'))) {
    if (isUnresolved(rule.protocol)) sure = false;
    if (!['tcp', 'all', '6'].includes(String(rule.protocol).toLowerCase())) continue;
    const ports = strings(rule.ports);
    if (ports.length === 0) return true;
    for (const p of ports) {
      if (isUnresolved(p)) sure = false;
      const [lo, hi = lo] = p.split('-').map(Number);
      if (lo !== undefined && hi !== undefined && port >= lo && port <= hi) return true;
    }
  }
  return sure ? false : undefined;
}

function egressDenied(t: GatewayTarget, firewalls: readonly TfResource[]): Verdict {
  const denies = firewalls.filter(
    (fw) =>
      flag(fw.body.disabled) !== true &&
      blocks(fw.body, 'deny').length > 0 &&
      String(fw.body.direction).toUpperCase() === 'EGRESS' &&
      strings(fw.body.target_tags).length === 0 &&
      strings(fw.body.target_service_accounts).length === 0 &&
      allowsPort(fw, t.port) === true,
  );
  const covered = (t.destinationRanges ?? []).every((r) =>
    denies.some((fw) => strings(fw.body.destination_ranges).some((d) => contains(d, r) === true)),
  );
  return covered
    ? ok(`an egress deny keeps other VMs from ${t.connection} (tcp:${t.port})`)
    : fail(`no egress deny for tcp:${t.port} towards ${t.connection}: any VM in the network can connect`);
}

/** A GKE control plane: private endpoint only, authorized networks set and none open to all. */
function clusterEndpoint(t: GatewayTarget, cluster: TfResource | undefined): Verdict {
  if (!cluster) {
    return unknown(
      `the cluster of connection "${t.connection}" is not in this stack; prove its endpoint is private`,
    );
  }
  const privateConfig = blocks(cluster.body, 'private_cluster_config')[0];
  const privateEndpoint = privateConfig ? privateConfig.enable_private_endpoint : undefined;
  if (isUnresolved(privateEndpoint)) return unknown('enable_private_endpoint is only known at apply');
  if (flag(privateEndpoint) !== true) {
    return fail(
      `the cluster of connection "${t.connection}" has a public endpoint: set private_cluster_config.enable_private_endpoint so the gateway is the only path`,
    );
  }
  const authorized = blocks(cluster.body, 'master_authorized_networks_config')[0];
  const cidrs = authorized ? blocks(authorized, 'cidr_blocks').map((b) => b.cidr_block) : [];
  if (!authorized || cidrs.length === 0) {
    return fail(
      `the cluster of connection "${t.connection}" sets no master authorized networks: any VM in the network may reach its API`,
    );
  }
  if (flag(authorized.gcp_public_cidrs_access_enabled) === true || cidrs.some((c) => c === '0.0.0.0/0')) {
    return fail(`the cluster of connection "${t.connection}" authorizes every address to reach its API`);
  }
  return ok(
    `the cluster of connection "${t.connection}" has a private endpoint and authorized networks ${cidrs.join(', ')}`,
  );
}
