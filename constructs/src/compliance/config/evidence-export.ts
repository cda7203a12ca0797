/**
 * 164.312(b) (and § 164.308(a)(1)(ii)(D), information system activity review): the audit record
 * is not only kept but examined. The gateway exports a signed evidence pack of each day (who
 * connected, what was held, denied and masked, whether the chain verifies) and copies it to
 * write-once storage beside the audit segments, where reviewers pick it up.
 */
import type { WardenConfig } from '../../core';
import { compliant, nonCompliant, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

/** Where a sink's packs land, as the gateway names the objects (`<prefix>evidence/<host>/<day>/`). */
export function evidenceLocation(sink: WardenConfig['audit']['sinks'][number]): string | undefined {
  if (sink.kind === 'stdout') return undefined;
  const scheme = sink.kind === 's3' ? 's3' : 'gs';
  return `${scheme}://${sink.bucket}/${sink.prefix}evidence/<host>/<YYYY-MM-DD>/`;
}

export function checkEvidenceExport(config: WardenConfig): RuleOutcome {
  if (!config.audit.evidence.daily)
    return nonCompliant('audit.evidence.daily is off: no evidence pack is exported for review');
  const where = config.audit.sinks.map(evidenceLocation).filter((w): w is string => w !== undefined);
  if (where.length === 0)
    return nonCompliant(
      'daily evidence packs stay on the gateway host: audit.sinks has no write-once storage',
    );
  return compliant(`a signed evidence pack of each day lands in ${where.join(' and ')}`);
}

export const GatewayEvidenceExportDaily: GatewayConfigRule = {
  id: 'GatewayEvidenceExportDaily',
  level: 'error',
  hipaaControl: '164.312(b)',
  info: 'A signed evidence pack of each day is exported to write-once storage.',
  explanation:
    'Audit controls include examining activity (§ 164.308(a)(1)(ii)(D)): a daily, verifiable summary makes review routine.',
  check: checkEvidenceExport,
};
