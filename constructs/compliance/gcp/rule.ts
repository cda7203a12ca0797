/**
 * A GCP compliance rule: a pure function from the synthesized stack to results, one per resource
 * it judges. Level, HIPAA control and explanation live in the pack (pack.ts), not here.
 */
import type { TerraformView, TfResource } from './terraform-view';

export type RuleStatus = 'compliant' | 'non-compliant' | 'not-applicable' | 'could-not-validate';

export interface RuleResult {
  /** The resource judged (its acknowledgements apply to this result). */
  readonly resource: TfResource;
  readonly status: RuleStatus;
  readonly message: string;
}

/** `<Service><Resource><Condition>`, e.g. StorageBucketCmek. */
export interface GcpRule {
  readonly name: string;
  check(view: TerraformView): RuleResult[];
}

/** A rule judging each resource of some types on its own. */
export function perResource(
  name: string,
  types: readonly string[],
  judge: (r: TfResource, view: TerraformView) => Omit<RuleResult, 'resource'>,
): GcpRule {
  return {
    name,
    check: (view) => view.resources(...types).map((resource) => ({ resource, ...judge(resource, view) })),
  };
}

export const ok = (message: string) => ({ status: 'compliant' as const, message });
export const fail = (message: string) => ({ status: 'non-compliant' as const, message });
export const unknown = (message: string) => ({ status: 'could-not-validate' as const, message });
export const na = (message: string) => ({ status: 'not-applicable' as const, message });
