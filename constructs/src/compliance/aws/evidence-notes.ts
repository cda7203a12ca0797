/** Report lines naming where each gateway's daily evidence packs land. */
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { markOf } from '../../aws/marks';
import { PLACEHOLDER_BUCKET } from '../../aws/placeholders';
import type { WardenConfig } from '../../core';
import { evidenceLocation } from '../config';

export function evidenceNotes(scope: IConstruct): string[] {
  const nodes = scope.node.findAll().filter(CfnResource.isCfnResource);
  const buckets = new Map<string, string>();
  for (const n of nodes) {
    const mark = markOf(n, 'audit-storage');
    // The bucket's L2 path: the construct a reader finds in the app.
    if (mark) buckets.set(mark.gateway, `<bucket ${n.node.path.replace(/\/Resource$/, '')}>`);
  }
  const notes: string[] = [];
  for (const n of nodes) {
    const mark = markOf(n, 'gateway-task');
    if (!mark) continue;
    let config: WardenConfig;
    try {
      config = (mark.config as () => WardenConfig)();
    } catch {
      continue; // the config rules report it as could-not-validate
    }
    if (!config.audit.evidence.daily) continue;
    const bucket = buckets.get(mark.gateway) ?? '<audit bucket>';
    for (const where of config.audit.sinks.map(evidenceLocation)) {
      if (where)
        notes.push(
          `Evidence packs of ${mark.gateway}: ${where.replace(PLACEHOLDER_BUCKET, bucket)} (daily, signed; check with warden evidence verify)`,
        );
    }
  }
  return notes;
}
