import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { evidenceLocation } from '../config';
import { type Finding, isBlocking, type ReportMeta, type WrittenReport, writeHipaaReport } from '../report';
import { gatewayConfigs, isOutcome } from './gateway-config';
import { GCP_PACK, PACK_NAME, type PackEntry } from './pack';
import { checkTerraform } from './runner';
import { TerraformView } from './terraform-view';

export interface ComplianceChecksOptions {
  /**
   * Where the reviewer report (hipaa-matrix.md, hipaa-matrix.html, hipaa-findings.json) is
   * written at synth.
   * @default - `warden-report/` beside the stack's cdk.tf.json (cdktf.out/stacks/<stack>/warden-report)
   */
  readonly reportDir?: string;
  /**
   * Heading of the report.
   * @default `Warden on GCP — <stack id>`
   */
  readonly title?: string;
  /**
   * The rules to run.
   * @default GCP_PACK
   */
  readonly pack?: readonly PackEntry[];
  /**
   * Called with the written report after each synth, e.g. to print where it is.
   * @default - nothing is printed
   */
  readonly onReport?: (report: WrittenReport) => void;
  /**
   * Called with every finding after each check.
   * @default - none
   */
  readonly onFindings?: (findings: readonly Finding[]) => void;
}

/**
 * Checks the stack's synthesized Terraform during synth and writes the reviewer report: every
 * unacknowledged error (non-compliant or could-not-validate) becomes a validation error, which
 * makes `app.synth()` throw. The check runs as a stack validation, after aspects, over exactly
 * what is written to cdk.tf.json. `scope` is the stack or any construct in it.
 */
export function addComplianceChecks(scope: IConstruct, options: ComplianceChecksOptions = {}): void {
  const stack = TerraformStack.of(scope);
  const pack = options.pack ?? GCP_PACK;
  stack.node.addValidation({
    validate: () => {
      const terraform = stack.toTerraform();
      const findings = checkTerraform(terraform, pack);
      options.onFindings?.(findings);
      const meta: ReportMeta = {
        title: options.title ?? `Warden on GCP — ${stack.node.id}`,
        cloud: 'gcp',
        packs: [PACK_NAME],
        notes: [`Stack: ${stack.node.path}`, ...evidenceNotes(new TerraformView(terraform))],
      };
      const reportDir =
        options.reportDir ?? join(App.of(stack).outdir, 'stacks', stack.node.id, 'warden-report');
      const report = writeHipaaReport(findings, reportDir, meta);
      options.onReport?.(report);
      return findings
        .filter(isBlocking)
        .map((f) => `${f.ruleId} [${f.status}] ${f.resource}: ${f.message} (§ ${f.hipaaControl})`);
    },
  });
}

/** Report lines naming where each gateway's daily evidence packs land. */
function evidenceNotes(view: TerraformView): string[] {
  return gatewayConfigs(view).flatMap(([resource, config]) =>
    isOutcome(config) || !config.audit.evidence.daily
      ? []
      : config.audit.sinks
          .map(evidenceLocation)
          .filter((w): w is string => w !== undefined)
          .map(
            (w) =>
              `Evidence packs of ${resource.path}: ${w} (daily, signed; check with warden evidence verify)`,
          ),
  );
}

/** Findings for a stack as it would synthesize now. */
export function checkStack(stack: TerraformStack, pack: readonly PackEntry[] = GCP_PACK): Finding[] {
  return checkTerraform(stack.toTerraform(), pack);
}
