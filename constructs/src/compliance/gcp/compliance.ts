import type { TerraformStack } from 'cdktf';
import { type Finding, isBlocking, type ReportMeta, writeHipaaReport } from '../report';
import { GCP_PACK, PACK_NAME, type PackEntry } from './pack';
import { checkTerraform } from './runner';

export interface GcpComplianceOptions {
  /**
   * Where the HIPAA report (hipaa-matrix.md, .html, hipaa-findings.json) is written at synth.
   * @default - no report is written; findings still fail the synth
   */
  readonly reportDir?: string;
  /** @default `Warden on GCP — <stack id>` */
  readonly title?: string;
  /** @default GCP_PACK */
  readonly pack?: readonly PackEntry[];
  /** Called with every finding after each check, e.g. to print a summary. @default - none */
  readonly onFindings?: (findings: readonly Finding[]) => void;
}

/**
 * Checks the stack's synthesized Terraform during synth: every unacknowledged error (non-compliant
 * or could-not-validate) becomes a validation error, which makes `app.synth()` throw. The check
 * runs as a stack validation, after aspects, over exactly what is written to cdk.tf.json.
 */
export function addGcpCompliance(stack: TerraformStack, options: GcpComplianceOptions = {}): void {
  const pack = options.pack ?? GCP_PACK;
  stack.node.addValidation({
    validate: () => {
      const findings = checkStack(stack, pack);
      options.onFindings?.(findings);
      if (options.reportDir) {
        const meta: ReportMeta = {
          title: options.title ?? `Warden on GCP — ${stack.node.id}`,
          cloud: 'gcp',
          packs: [PACK_NAME],
          notes: [`Stack: ${stack.node.path}`],
        };
        writeHipaaReport(findings, options.reportDir, meta);
      }
      return findings
        .filter(isBlocking)
        .map((f) => `${f.ruleId} [${f.status}] ${f.resource}: ${f.message} (§ ${f.hipaaControl})`);
    },
  });
}

/** Findings for a stack as it would synthesize now. */
export function checkStack(stack: TerraformStack, pack: readonly PackEntry[] = GCP_PACK): Finding[] {
  return checkTerraform(stack.toTerraform(), pack);
}
