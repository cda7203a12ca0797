/**
 * WardenChecks: Warden's own rules as a cdk-nag v3 pack (a CDK validation plugin). A rule that
 * cannot validate throws, which cdk-nag reports as a violation: never as a pass.
 */
import type { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps, NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { WARDEN_AWS_RULES } from './rules';

export const WARDEN_PACK_NAME = 'Warden';

export class WardenChecks extends NagPack {
  readonly name = WARDEN_PACK_NAME;
  override readonly ruleIds = WARDEN_AWS_RULES.map((r) => `${WARDEN_PACK_NAME}-${r.id}`);

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = WARDEN_PACK_NAME;
  }

  protected checkResource(node: CfnResource): void {
    for (const rule of WARDEN_AWS_RULES) {
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: `${rule.explanation} (HIPAA ${rule.hipaaControl})`,
        level: rule.level === 'error' ? NagMessageLevel.ERROR : NagMessageLevel.WARN,
        node,
        rule: (n: CfnResource): NagRuleResult => {
          const outcome = rule.evaluate(n);
          switch (outcome.status) {
            case 'compliant':
              return NagRuleCompliance.COMPLIANT;
            case 'not-applicable':
              return NagRuleCompliance.NOT_APPLICABLE;
            case 'non-compliant':
              return NagRuleCompliance.NON_COMPLIANT;
            case 'could-not-validate':
              throw new Error(`could not validate: ${outcome.message}`);
          }
        },
      });
    }
  }
}
