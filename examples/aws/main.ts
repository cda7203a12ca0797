/**
 * `npm run synth`: synthesizes the example app under the compliance packs. Runs offline: no AWS
 * credentials, no Docker. `addComplianceChecks` writes the reviewer report to
 * cdk.out/warden-report/ at every synth, and the synth fails on any unacknowledged error.
 */

import { addComplianceChecks } from '@warden/constructs/aws';
import { App } from 'aws-cdk-lib';
import { WardenExampleStack } from './stack';

// The built-in CloudFormation validation only reports warnings and takes most of the synth time;
// the HIPAA and AWS Solutions packs cover what it checks.
const app = new App({ builtinCloudFormationValidation: false });
// Environment-agnostic: no account or region lookups, so synth needs no AWS credentials.
new WardenExampleStack(app, 'WardenExample');
addComplianceChecks(app, {
  title: 'Warden on AWS — example app',
  onReport: (r) =>
    console.error(`Warden HIPAA report: ${r.markdown} and ${r.html} (${r.blocking} unacknowledged error(s))`),
});
