/**
 * A GCP compliance rule: a pure function from the synthesized stack to results, one per resource
 * it judges. Level, HIPAA control and explanation live in the pack (pack.ts), not here.
 */
import type { RuleOutcome } from '../config/outcome';
import type { TerraformView, TfResource } from './terraform-view';

export type { RuleStatus } from '../config/outcome';

/** A rule's outcome for one resource (its acknowledgements apply to this result). */
export interface RuleResult extends RuleOutcome {
  readonly resource: TfResource;
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

export {
  compliant as ok,
  couldNotValidate as unknown,
  nonCompliant as fail,
  notApplicable as na,
} from '../config/outcome';
