/**
 * Synthesizes the example offline (no terraform binary, no credentials):
 *   CHECKPOINT_DISABLE=1 tsx examples/gcp/main.ts
 * writes cdktf.out/stacks/warden-gcp-example/cdk.tf.json and the HIPAA report next to it
 * (warden-report/), and exits non-zero when the compliance pack finds an unacknowledged error.
 */
import { join } from 'node:path';
import { App } from 'cdktf';
import { WardenGcpExample } from './app';

const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
const stackName = 'warden-gcp-example';
const reportDir = join(outdir, 'stacks', stackName, 'warden-report');
const app = new App({ outdir });
new WardenGcpExample(app, stackName, {
  project: process.env.WARDEN_GCP_PROJECT ?? 'warden-example',
  region: process.env.WARDEN_GCP_REGION ?? 'europe-west3',
});
try {
  app.synth();
} catch (err) {
  console.error((err as Error).message);
  console.error(`HIPAA report: ${reportDir}/hipaa-matrix.md`);
  process.exit(1);
}
console.log(`synthesized ${join(outdir, 'stacks', stackName, 'cdk.tf.json')}`);
console.log(`HIPAA report: ${reportDir}/hipaa-matrix.md (.html, hipaa-findings.json)`);
