/** One call that puts an app under Warden's compliance checks and writes the reviewer report. */
import { join } from 'node:path';
import {
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stack,
  type Stage,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack } from 'cdk-nag';
import { type WrittenReport, writeHipaaReport } from '../report';
import { evidenceNotes } from './evidence-notes';
import { evaluateNagPacks, evaluateWardenRules } from './findings';
import { WardenChecks } from './pack';

export interface ComplianceChecksOptions {
  /**
   * Where the reviewer report (hipaa-matrix.md, hipaa-matrix.html, hipaa-findings.json) is written
   * at synth.
   * @default - `warden-report/` in the cloud assembly directory (cdk.out/warden-report)
   */
  readonly reportDir?: string;
  /**
   * Heading of the report.
   * @default 'Warden on AWS'
   */
  readonly title?: string;
  /**
   * Also run the AWS Solutions pack.
   * @default true
   */
  readonly awsSolutions?: boolean;
  /**
   * Extended explanations in cdk-nag messages.
   * @default false
   */
  readonly verbose?: boolean;
  /**
   * Called with the written report after each synth, e.g. to print where it is.
   * @default - nothing is printed
   */
  readonly onReport?: (report: WrittenReport) => void;
}

/**
 * Writes the HIPAA report as a validation plugin: plugins run after aspects, over the final tree,
 * which is what the report must describe. It reports no violations of its own (the packs do).
 */
class WardenReportPlugin implements IPolicyValidationPlugin {
  readonly name = 'Warden-Report';

  constructor(
    private readonly app: Stage,
    private readonly packs: readonly NagPack[],
    private readonly options: ComplianceChecksOptions,
  ) {}

  validate(): PolicyValidationPluginReport {
    const findings = [...evaluateWardenRules(this.app), ...evaluateNagPacks(this.app, this.packs)];
    const stacks = this.app.node.findAll().filter(Stack.isStack);
    const report = writeHipaaReport(
      findings,
      this.options.reportDir ?? join(this.app.outdir, 'warden-report'),
      {
        title: this.options.title ?? 'Warden on AWS',
        cloud: 'aws',
        packs: this.packs.map((p) => p.name),
        notes: [
          `Stacks: ${stacks.map((s) => s.stackName).join(', ')}`,
          `Cloud assembly: ${this.app.outdir}`,
          ...evidenceNotes(this.app),
        ],
      },
    );
    this.options.onReport?.(report);
    return { success: true, violations: [] };
  }
}

/**
 * Registers cdk-nag v3's HIPAA Security and AWS Solutions packs and Warden's own pack as
 * validation plugins, so `cdk synth` fails on any unacknowledged error, and writes the reviewer
 * report at every synth. Call it once, on the app. Returns the packs.
 */
export function addComplianceChecks(app: Stage, options: ComplianceChecksOptions = {}): NagPack[] {
  const props = { verbose: options.verbose ?? false };
  const packs: NagPack[] = [new HIPAASecurityChecks(app, props), new WardenChecks(app, props)];
  if (options.awsSolutions ?? true) packs.push(new AwsSolutionsChecks(app, props));
  Validations.of(app).addPlugins(...packs, new WardenReportPlugin(app, packs, options));
  return packs;
}
