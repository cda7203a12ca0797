/**
 * 164.312(b). Compliant: every log group keeps its events at least six years (or never expires),
 * so gateway and network logs outlive the audit obligation.
 */
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { compliant, couldNotValidate, nonCompliant, notApplicable } from '../../config/outcome';
import { resolve, type WardenRule } from '../rule';
import { MIN_RETENTION_DAYS } from './S3AuditStorageObjectLockCompliance';

export const LogsRetentionSixYears: WardenRule = {
  id: 'LogsRetentionSixYears',
  level: 'error',
  hipaaControl: '164.312(b)',
  info: 'The log group retains events for at least six years.',
  explanation: 'Logs are part of the audit record HIPAA requires to be kept six years.',
  evaluate(node) {
    if (!(node instanceof CfnLogGroup)) return notApplicable();
    const days = resolve(node, node.retentionInDays);
    if (days === undefined) return compliant('events never expire');
    if (typeof days !== 'number') return couldNotValidate('the retention is not known at synth');
    return days >= MIN_RETENTION_DAYS
      ? compliant(`retention ${days} days`)
      : nonCompliant(`retention is ${days} days, below ${MIN_RETENTION_DAYS}`);
  },
};
