/**
 * `npm run synth`: synthesizes the example app with the compliance packs, then writes the HIPAA
 * control matrix next to the templates. Runs offline: no AWS credentials, no Docker.
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addComplianceChecks, evaluateNagPacks, evaluateWardenRules } from '../../constructs/compliance/aws';
import { writeHipaaReport } from '../../constructs/compliance/report';
import { WardenExampleStack } from './stack';

// The built-in CloudFormation validation only reports warnings and takes most of the synth time;
// the HIPAA and AWS Solutions packs cover what it checks.
const app = new App({ builtinCloudFormationValidation: false });
// Environment-agnostic: no account or region lookups, so synth needs no AWS credentials.
new WardenExampleStack(app, 'WardenExample');
const packs = addComplianceChecks(app);
const assembly = app.synth();

// After synth: aspects (e.g. IMDSv2 launch templates) have been applied to the tree by then.
const findings = [...evaluateWardenRules(app), ...evaluateNagPacks(app, packs)];
const report = writeHipaaReport(findings, join(assembly.directory, 'warden-report'), {
  title: 'Warden on AWS — example app',
  cloud: 'aws',
  packs: packs.map((p) => p.name),
  notes: [`Templates and validation-report.json: ${assembly.directory}`],
});
console.error(
  `Warden HIPAA report: ${report.markdown} and ${report.html} (${report.blocking} unacknowledged error(s))`,
);
if (report.blocking > 0) process.exitCode = 1;
