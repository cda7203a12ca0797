/** One call that puts an app under Warden's compliance checks. */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack } from 'cdk-nag';
import { WardenChecks } from './pack';

export interface ComplianceChecksOptions {
  /** Also run the AWS Solutions pack. @default true */
  readonly awsSolutions?: boolean;
  /** Extended explanations in messages. @default false */
  readonly verbose?: boolean;
}

/**
 * Registers cdk-nag v3's HIPAA Security and AWS Solutions packs and Warden's own pack as
 * validation plugins: `cdk synth` then fails on any unacknowledged error. Returns the packs.
 */
export function addComplianceChecks(app: App, options: ComplianceChecksOptions = {}): NagPack[] {
  const props = { verbose: options.verbose ?? false };
  const packs: NagPack[] = [new HIPAASecurityChecks(app, props), new WardenChecks(app, props)];
  if (options.awsSolutions ?? true) packs.push(new AwsSolutionsChecks(app, props));
  Validations.of(app).addPlugins(...packs);
  return packs;
}
