import type { TerraformResource } from 'cdktf';
import { ACK_KEY, META_KEY } from './terraform-view';

/**
 * Records on the resource itself why a finding of `ruleId` is acceptable. The reason is written
 * into the resource's `//` comment object in cdk.tf.json (Terraform ignores it), so the reviewer
 * sees it beside the resource and the report repeats it.
 */
export function acknowledge(resource: TerraformResource, ruleId: string, reason: string): void {
  if (!/^Warden-[A-Za-z0-9]+$/.test(ruleId)) throw new Error(`not a Warden GCP rule id: ${ruleId}`);
  if (reason.trim().length < 10) {
    throw new Error(`acknowledging ${ruleId} on ${resource.node.path} needs a reason a reviewer can judge`);
  }
  resource.addOverride(`${META_KEY}.${ACK_KEY}.${ruleId}`, reason.trim());
}
