/**
 * The one finding shape every compliance source is turned into (Warden's own rules, cdk-nag packs,
 * the GCP Aspect runner), so a single report writer serves both clouds.
 */

export type FindingLevel = 'error' | 'warning';

export type FindingStatus =
  | 'compliant'
  | 'non-compliant'
  | 'not-applicable'
  /** The rule could not resolve a value it needs (a token, an imported resource): never a pass. */
  | 'could-not-validate'
  /** Non-compliant, but a person recorded why that is acceptable next to the resource. */
  | 'acknowledged';

export interface Finding {
  /** Rule id as the pack reports it, e.g. "Warden-DatabaseIngressOnlyFromGateway" or "HIPAA.Security-S3BucketVersioningEnabled". */
  readonly ruleId: string;
  readonly level: FindingLevel;
  readonly status: FindingStatus;
  /** Construct path of the resource the finding is about ("-" when it concerns the whole app). */
  readonly resource: string;
  readonly message: string;
  /** The § 164.312 standard or implementation specification the rule supports, e.g. "164.312(b)". */
  readonly hipaaControl: string;
  /** The recorded reason, when status is "acknowledged". */
  readonly acknowledgement?: string;
}

/** Describes the run the report is about. */
export interface ReportMeta {
  /** Heading of the report, e.g. "Warden on AWS — example app". */
  readonly title: string;
  readonly cloud: 'aws' | 'gcp';
  /** Rule packs that ran, e.g. ["HIPAA.Security", "AwsSolutions", "Warden"]. */
  readonly packs: readonly string[];
  /** @default - the time of writing */
  readonly generatedAt?: string;
  /** Free-form lines shown under the heading (stack names, synth command, notes). */
  readonly notes?: readonly string[];
}

/** Order in which statuses are considered worst first, for summaries. */
export const STATUS_SEVERITY: readonly FindingStatus[] = [
  'non-compliant',
  'could-not-validate',
  'acknowledged',
  'compliant',
  'not-applicable',
];

/** What a rule concluded about one resource, before acknowledgements are applied. */
export interface RuleVerdict {
  readonly status: Exclude<FindingStatus, 'acknowledged'>;
  readonly message: string;
}

/**
 * The finding for one rule on one resource. A non-compliant or could-not-validate verdict with a
 * recorded reason becomes "acknowledged" and carries the reason; a pass is never acknowledged.
 */
export function toFinding(
  rule: Pick<Finding, 'ruleId' | 'level' | 'hipaaControl'>,
  resource: string,
  verdict: RuleVerdict,
  acknowledgement?: string,
): Finding {
  const ack =
    acknowledgement && (verdict.status === 'non-compliant' || verdict.status === 'could-not-validate')
      ? acknowledgement
      : undefined;
  return {
    ruleId: rule.ruleId,
    level: rule.level,
    status: ack ? 'acknowledged' : verdict.status,
    resource,
    message: verdict.message,
    hipaaControl: rule.hipaaControl,
    ...(ack ? { acknowledgement: ack } : {}),
  };
}

/** A finding that should fail a build: an unacknowledged error, or an error rule that could not be validated. */
export function isBlocking(f: Finding): boolean {
  return f.level === 'error' && (f.status === 'non-compliant' || f.status === 'could-not-validate');
}
