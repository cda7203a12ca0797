/** Reads acknowledgements recorded with `Validations.of(c).acknowledge()` on a construct or its ancestors. */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The reason `ruleId` was acknowledged for `node`, nearest scope first, or undefined. On one
 * node the latest acknowledgement wins, so a construct can restate a reason as it grows.
 */
export function acknowledgementFor(node: IConstruct, ruleId: string): string | undefined {
  for (let c: IConstruct | undefined = node; c; c = c.node.scope) {
    for (const entry of [...c.node.metadata].reverse()) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib qualifies ids ("annotation::…"); compare without the namespace.
        if (id.replace(/^[A-Za-z-]*::/, '') === ruleId) return reason;
      }
    }
  }
  return undefined;
}
