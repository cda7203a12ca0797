/**
 * 164.312(b), 164.312(c)(1). Compliant: the gateway's audit and recording bucket is versioned and
 * has Object Lock in COMPLIANCE mode with a default retention of at least six years, so nobody
 * (root included) can alter or delete the record during retention.
 */
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { markOf } from '../../../aws/marks';
import { SIX_YEARS_DAYS } from '../../../core';
import { couldNotValidate, fromProblems, notApplicable } from '../../config/outcome';
import { resolve, type WardenRule } from '../rule';

/** HIPAA documentation is kept six years (§ 164.316(b)(2)(i)); 2192 days covers two leap days. */
export const MIN_RETENTION_DAYS = SIX_YEARS_DAYS;

export const S3AuditStorageObjectLockCompliance: WardenRule = {
  id: 'S3AuditStorageObjectLockCompliance',
  level: 'error',
  hipaaControl: '164.312(b)',
  info: 'Audit and recording storage has Object Lock in COMPLIANCE mode for at least six years, and versioning.',
  explanation:
    'The audit trail must survive anyone with access to the account, including an administrator covering their tracks.',
  evaluate(node) {
    if (!(node instanceof CfnBucket) || !markOf(node, 'audit-storage')) return notApplicable();
    const lock = resolve(node, node.objectLockConfiguration) as
      | {
          objectLockEnabled?: string;
          rule?: { defaultRetention?: { mode?: string; days?: unknown; years?: unknown } };
        }
      | undefined;
    const versioning = resolve(node, node.versioningConfiguration) as { status?: string } | undefined;
    const retention = lock?.rule?.defaultRetention;
    const days = typeof retention?.days === 'number' ? retention.days : undefined;
    const years = typeof retention?.years === 'number' ? retention.years : undefined;
    if (
      retention &&
      (retention.days ?? retention.years) !== undefined &&
      days === undefined &&
      years === undefined
    ) {
      return couldNotValidate('the retention period is not known at synth');
    }
    const problems: string[] = [];
    if (resolve(node, node.objectLockEnabled) !== true || lock?.objectLockEnabled !== 'Enabled') {
      problems.push('Object Lock is not enabled');
    }
    if (retention?.mode !== 'COMPLIANCE')
      problems.push(`default retention mode is ${retention?.mode ?? 'unset'}, not COMPLIANCE`);
    const effective = days ?? (years !== undefined ? years * 365 + Math.floor(years / 4) : 0);
    if (effective < MIN_RETENTION_DAYS)
      problems.push(`default retention is ${effective} days, below ${MIN_RETENTION_DAYS}`);
    if (versioning?.status !== 'Enabled') problems.push('versioning is not enabled');
    return fromProblems(problems, `COMPLIANCE lock for ${effective} days`);
  },
};
