export { controlFor, HIPAA_CONTROLS, type HipaaControl, OTHER_CONTROL, UNMAPPED_CONTROL } from './controls';
export {
  type Finding,
  type FindingLevel,
  type FindingStatus,
  isBlocking,
  type ReportMeta,
  type RuleVerdict,
  STATUS_SEVERITY,
  toFinding,
} from './finding';
export {
  buildMatrix,
  type ControlStatus,
  type MatrixRow,
  type ReportSummary,
  type RuleSummary,
  summariseFindings,
} from './matrix';
export { renderHtml, renderMarkdown, type WrittenReport, writeHipaaReport } from './write';
