/**
 * 164.312(c)(2): a change to the record of who touched PHI is detectable. Checkpoints over the
 * audit hash chain are signed with a key held in the cloud secret store (not in the environment
 * or on disk, where the host could forge them), often enough that few events wait unvouched, and
 * sealed segments are copied to write-once storage, the reference that shows a log cut at a
 * checkpoint.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, type RuleOutcome } from './outcome';
import { type GatewayConfigRule, inSecretStore } from './rule';

/** Longest time events may wait for a signed checkpoint. */
export const MAX_CHECKPOINT_INTERVAL_MS = 60_000;
/** Most events one checkpoint may vouch for. */
export const MAX_CHECKPOINT_EVERY = 10_000;

export function checkAuditCheckpointSigning(config: WardenConfig): RuleOutcome {
  const a = config.audit;
  const problems: string[] = [];
  if (!inSecretStore(a.signingKey))
    problems.push('audit.signingKey is not in AWS Secrets Manager or Google Secret Manager');
  if (a.checkpointIntervalMs > MAX_CHECKPOINT_INTERVAL_MS)
    problems.push(`checkpoints every ${a.checkpointIntervalMs} ms, above ${MAX_CHECKPOINT_INTERVAL_MS}`);
  if (a.checkpointEvery > MAX_CHECKPOINT_EVERY)
    problems.push(`checkpoints every ${a.checkpointEvery} events, above ${MAX_CHECKPOINT_EVERY}`);
  if (!a.sinks.some((s) => s.kind === 's3' || s.kind === 'gcs'))
    problems.push('audit.sinks has no write-once storage (s3 or gcs)');
  return fromProblems(
    problems,
    `checkpoints signed with a key in the secret store every ${a.checkpointIntervalMs / 1000} s or ${a.checkpointEvery} events; sealed segments copied to write-once storage`,
  );
}

export const GatewayAuditCheckpointsSigned: GatewayConfigRule = {
  id: 'GatewayAuditCheckpointsSigned',
  level: 'error',
  hipaaControl: '164.312(c)(2)',
  info: 'Audit checkpoints are signed with a key in the secret store at least every minute, and sealed segments go to write-once storage.',
  explanation:
    'Signed checkpoints let anyone with the public key prove the audit record was not altered (warden audit verify, warden evidence verify).',
  check: checkAuditCheckpointSigning,
};
