import { type Finding, toFinding } from '../report';
import { GCP_PACK, type PackEntry, ruleId } from './pack';
import { TerraformView } from './terraform-view';

/**
 * Runs a pack over a synthesized stack (the object in cdk.tf.json) and returns findings in the
 * shared shape. A non-compliant or could-not-validate result whose resource carries an
 * acknowledgement for the rule becomes "acknowledged", with the recorded reason.
 */
export function checkTerraform(config: unknown, pack: readonly PackEntry[] = GCP_PACK): Finding[] {
  const view = new TerraformView(config);
  const findings: Finding[] = [];
  for (const entry of pack) {
    const id = ruleId(entry);
    const rule = { ruleId: id, level: entry.level, hipaaControl: entry.hipaaControl };
    for (const result of entry.rule.check(view)) {
      const reason = result.resource.acknowledgements[id]?.trim();
      findings.push(toFinding(rule, result.resource.path, result, reason));
    }
  }
  return findings;
}
