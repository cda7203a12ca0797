/** Groups findings into the HIPAA control matrix: standard → mechanism → enforcing rules → status. */
import { controlFor, HIPAA_CONTROLS, type HipaaControl, OTHER_CONTROL, UNMAPPED_CONTROL } from './controls';
import { type Finding, type FindingStatus, isBlocking } from './finding';

/** Row status: fail beats could-not-validate beats acknowledged beats pass. */
export type ControlStatus = 'fail' | 'could-not-validate' | 'acknowledged' | 'pass' | 'no-checks';

export interface RuleSummary {
  readonly ruleId: string;
  readonly status: ControlStatus;
  readonly counts: Readonly<Record<FindingStatus, number>>;
  /** Resources the rule looked at, other than not-applicable ones. */
  readonly resources: readonly string[];
  readonly findings: readonly Finding[];
}

export interface MatrixRow {
  readonly control: HipaaControl;
  readonly status: ControlStatus;
  readonly rules: readonly RuleSummary[];
}

function emptyCounts(): Record<FindingStatus, number> {
  return { compliant: 0, 'non-compliant': 0, 'not-applicable': 0, 'could-not-validate': 0, acknowledged: 0 };
}

/** Warnings never fail a row: they show as acknowledged-or-pass with their own counts. */
function statusOf(findings: readonly Finding[]): ControlStatus {
  const relevant = findings.filter((f) => f.status !== 'not-applicable');
  if (relevant.length === 0) return 'no-checks';
  const errors = relevant.filter((f) => f.level === 'error');
  if (errors.some((f) => f.status === 'non-compliant')) return 'fail';
  if (errors.some((f) => f.status === 'could-not-validate')) return 'could-not-validate';
  if (relevant.some((f) => f.status === 'acknowledged')) return 'acknowledged';
  return 'pass';
}

function summarise(ruleId: string, findings: readonly Finding[]): RuleSummary {
  const counts = emptyCounts();
  for (const f of findings) counts[f.status]++;
  const resources = [
    ...new Set(findings.filter((f) => f.status !== 'not-applicable').map((f) => f.resource)),
  ];
  return { ruleId, status: statusOf(findings), counts, resources, findings };
}

/** One row per § 164.312 control (in regulation order), plus "unmapped" and "other" rows when they have findings. */
export function buildMatrix(findings: readonly Finding[]): MatrixRow[] {
  const byControl = new Map<string, Finding[]>();
  for (const f of findings) {
    const id = controlFor(f.hipaaControl).id;
    byControl.set(id, [...(byControl.get(id) ?? []), f]);
  }
  const extra = [UNMAPPED_CONTROL, OTHER_CONTROL].filter((c) => byControl.has(c.id));
  const controls = [...HIPAA_CONTROLS, ...extra];
  return controls.map((control) => {
    const mine = byControl.get(control.id) ?? [];
    const byRule = new Map<string, Finding[]>();
    for (const f of mine) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
    const rules = [...byRule.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, fs]) => summarise(id, fs));
    return { control, status: statusOf(mine), rules };
  });
}

export interface ReportSummary {
  readonly findings: number;
  readonly counts: Readonly<Record<FindingStatus, number>>;
  /** Unacknowledged errors: non-compliant or could-not-validate at error level. */
  readonly blocking: number;
}

export function summariseFindings(findings: readonly Finding[]): ReportSummary {
  const counts = emptyCounts();
  for (const f of findings) counts[f.status]++;
  return { findings: findings.length, counts, blocking: findings.filter(isBlocking).length };
}
