/**
 * Findings for the reviewer report: Warden's rules evaluated over the whole tree (so compliant
 * resources are listed too, not only violations), plus the cdk-nag packs' violations, with the
 * acknowledged ones and their reasons.
 */
import { CfnResource } from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { type Finding, OTHER_CONTROL, toFinding, UNMAPPED_CONTROL } from '../report';
import { acknowledgementFor } from './acknowledgements';
import { NAG_HIPAA_CONTROLS } from './nag-hipaa-controls';
import { WARDEN_PACK_NAME } from './pack';
import { WARDEN_AWS_RULES } from './rules';

/** Every Warden rule on every CfnResource under `scope`; not-applicable results are dropped. */
export function evaluateWardenRules(scope: IConstruct): Finding[] {
  const out: Finding[] = [];
  for (const node of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    for (const rule of WARDEN_AWS_RULES) {
      const outcome = rule.evaluate(node);
      if (outcome.status === 'not-applicable') continue;
      const ruleId = `${WARDEN_PACK_NAME}-${rule.id}`;
      const meta = { ruleId, level: rule.level, hipaaControl: rule.hipaaControl };
      out.push(toFinding(meta, node.node.path, outcome, acknowledgementFor(node, ruleId)));
    }
  }
  return out;
}

/**
 * The § 164.312 control a cdk-nag rule's findings are filed under: Warden's own table for the
 * HIPAA pack; "other" for packs that are not about HIPAA (AWS Solutions); "unmapped", shown as
 * its own row of the report, for a HIPAA rule newer than the table.
 */
export function hipaaControlForNagRule(ruleId: string): string {
  const rule = ruleId.replace(/\[.*$/, '');
  if (!rule.startsWith('HIPAA.Security-')) return OTHER_CONTROL.id;
  return NAG_HIPAA_CONTROLS[rule] ?? UNMAPPED_CONTROL.id;
}

type PackClass = new () => NagPack;

/**
 * Findings of cdk-nag packs over `scope`, acknowledged ones included. cdk-nag v3 drops an
 * acknowledged violation before anything (the CDK validation report included) can see it, so each
 * pack runs again here with its acknowledgement check turned off (a private method, replaced on
 * this instance only), and every violation is matched against the recorded acknowledgements.
 * Warden's own pack is skipped: evaluateWardenRules gives its full picture.
 */
export function evaluateNagPacks(scope: IConstruct, packs: readonly NagPack[]): Finding[] {
  const byPath = new Map(scope.node.findAll().map((c) => [c.node.path, c] as const));
  const out: Finding[] = [];
  for (const registered of packs) {
    if (registered.name === WARDEN_PACK_NAME) continue;
    const pack = new (registered.constructor as PackClass)();
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    for (const v of pack.validateScope(scope).violations) {
      for (const r of v.violatingResources) {
        const node = r.constructPath ? byPath.get(r.constructPath) : undefined;
        const meta = {
          ruleId: v.ruleName,
          level: v.severity === 'error' ? ('error' as const) : ('warning' as const),
          hipaaControl: hipaaControlForNagRule(v.ruleName),
        };
        const verdict = { status: 'non-compliant' as const, message: v.description };
        const ack = node ? acknowledgementFor(node, v.ruleName) : undefined;
        out.push(toFinding(meta, r.constructPath ?? '-', verdict, ack));
      }
    }
  }
  return out;
}
