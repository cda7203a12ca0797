/** Minimal cdktf stacks for rule tests: each test builds only the resources its rule reads. */
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { TerraformStack, Testing } from 'cdktf';
import { checkStack } from '../../../constructs/src/compliance/gcp/compliance';
import { GCP_PACK } from '../../../constructs/src/compliance/gcp/pack';
import { GATEWAY_KEY, type GatewayTarget } from '../../../constructs/src/compliance/gcp/terraform-view';
import type { Finding } from '../../../constructs/src/compliance/report';

export function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  new GoogleProvider(s, 'google', { project: 'p1', region: 'europe-west3' });
  return s;
}

/** Findings of one rule (by name, e.g. "StorageBucketCmek") over a stack built by `build`. */
export function findingsOf(rule: string, build: (s: TerraformStack) => void): Finding[] {
  const s = stack();
  build(s);
  const entry = GCP_PACK.find((e) => e.rule.name === rule);
  if (!entry) throw new Error(`no rule ${rule}`);
  return checkStack(s, [entry]);
}

/** Statuses of the findings, for compact assertions. */
export function statuses(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.status);
}

/**
 * A service account carrying a gateway manifest, as the gateway construct writes it; rule tests
 * use it so they do not depend on the whole construct.
 */
export function gatewayAccount(
  s: TerraformStack,
  manifest: { tags?: string[]; secrets?: string[]; targets?: GatewayTarget[] } = {},
): ServiceAccount {
  const sa = new ServiceAccount(s, 'gateway-sa', { accountId: 'warden-gw' });
  sa.addOverride(`//.${GATEWAY_KEY}`, {
    serviceAccountEmail: sa.email,
    tags: manifest.tags ?? ['warden-gateway'],
    secrets: manifest.secrets ?? [],
    targets: manifest.targets ?? [],
  });
  return sa;
}
