/**
 * @warden/constructs/compliance — the cloud-neutral reviewer report: HIPAA § 164.312 controls,
 * the finding shape every rule pack is turned into, and the report writer both clouds use.
 */
export type { RuleOutcome, RuleStatus } from './config/outcome';
export {
  buildMatrix,
  type ControlStatus,
  controlFor,
  type Finding,
  type FindingLevel,
  type FindingStatus,
  HIPAA_CONTROLS,
  type HipaaControl,
  isBlocking,
  type MatrixRow,
  OTHER_CONTROL,
  type ReportMeta,
  type ReportSummary,
  type RuleSummary,
  renderHtml,
  renderMarkdown,
  STATUS_SEVERITY,
  summariseFindings,
  UNMAPPED_CONTROL,
  type WrittenReport,
  writeHipaaReport,
} from './report';
