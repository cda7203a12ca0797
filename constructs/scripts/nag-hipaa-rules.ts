/**
 * Lists the rules of the installed cdk-nag HIPAA Security pack with the HIPAA controls each one
 * cites, by running the pack over one resource with its rule hook replaced by a recorder (every
 * check method registers its rules whatever the resource). Used by the test that keeps
 * constructs/src/compliance/aws/nag-hipaa-controls.ts complete, and to write new entries for it:
 *
 *   npx tsx constructs/scripts/nag-hipaa-rules.ts
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { HIPAASecurityChecks } from 'cdk-nag';

export interface NagHipaaRule {
  /** Rule id as findings carry it, e.g. "HIPAA.Security-S3BucketVersioningEnabled". */
  readonly id: string;
  /** Control ids the rule's message cites, e.g. ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"]. */
  readonly controls: readonly string[];
}

interface RecordedRule {
  readonly ruleSuffixOverride?: string;
  readonly info: string;
  readonly rule: { readonly name: string };
}

export function hipaaPackRules(): NagHipaaRule[] {
  const pack = new HIPAASecurityChecks();
  const seen = new Map<string, NagHipaaRule>();
  const hooks = pack as unknown as {
    applyRule(params: RecordedRule): void;
    checkResource(node: CfnResource): void;
  };
  hooks.applyRule = (params) => {
    const id = `${pack.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    // Messages end "(Control ID: 164.312(b))" or "(Control IDs: 164.308(a)(1)(ii)(D), …)".
    const controls = [...new Set(params.info.match(/164\.\d+(\([a-zA-Z0-9]+\))*/g) ?? [])];
    seen.set(id, { id, controls });
  };
  const stack = new Stack(new App(), 'Probe');
  hooks.checkResource(new CfnResource(stack, 'Probe', { type: 'Probe::Probe::Probe' }));
  return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id));
}

if (require.main === module) {
  for (const r of hipaaPackRules())
    console.log(
      `  '${r.id}': '${r.controls.find((c) => c.startsWith('164.312')) ?? 'other'}', // ${r.controls.join(', ')}`,
    );
}
