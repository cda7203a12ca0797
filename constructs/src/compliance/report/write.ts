/**
 * Writes the reviewer report: the HIPAA control matrix as Markdown (for pull requests), HTML (for
 * auditors without a Markdown viewer) and JSON (for tools). Cloud-neutral: AWS and GCP both call it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding, ReportMeta } from './finding';
import { buildMatrix, type ControlStatus, type MatrixRow, summariseFindings } from './matrix';

export interface WrittenReport {
  readonly markdown: string;
  readonly html: string;
  readonly json: string;
  /** Unacknowledged errors in the findings. */
  readonly blocking: number;
}

const STATUS_LABEL: Record<ControlStatus, string> = {
  fail: 'FAIL',
  'could-not-validate': 'COULD NOT VALIDATE',
  acknowledged: 'pass (acknowledged)',
  pass: 'pass',
  'no-checks': 'no automated check',
};

/** Markdown table cells cannot hold pipes or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function ruleLine(r: MatrixRow['rules'][number]): string {
  const c = r.counts;
  const parts = [
    c.compliant && `${c.compliant} compliant`,
    c['non-compliant'] && `${c['non-compliant']} non-compliant`,
    c['could-not-validate'] && `${c['could-not-validate']} could not validate`,
    c.acknowledged && `${c.acknowledged} acknowledged`,
  ].filter(Boolean);
  return `\`${r.ruleId}\` — ${STATUS_LABEL[r.status]}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export function renderMarkdown(findings: readonly Finding[], meta: ReportMeta, generatedAt: string): string {
  const rows = buildMatrix(findings);
  const sum = summariseFindings(findings);
  const out: string[] = [
    `# ${meta.title}`,
    '',
    `HIPAA Security Rule technical safeguards (45 CFR § 164.312) — ${meta.cloud.toUpperCase()} — generated ${generatedAt}.`,
    `Packs: ${meta.packs.join(', ')}. Findings: ${sum.findings}; unacknowledged errors: **${sum.blocking}**.`,
    ...(meta.notes ?? []).map((n) => `- ${n}`),
    '',
    '| § 164.312 | Standard | Warden mechanism | Enforced by | Status |',
    '|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const rules = row.rules.length ? row.rules.map((r) => cell(ruleLine(r))).join('<br>') : '—';
    out.push(
      `| ${row.control.id} | ${cell(row.control.title)} | ${cell(row.control.mechanism)} | ${rules} | **${STATUS_LABEL[row.status]}** |`,
    );
  }
  out.push('', '## Details', '');
  for (const row of rows.filter((r) => r.rules.length > 0)) {
    out.push(
      `### ${row.control.id} ${row.control.title}`,
      '',
      `Runtime evidence: ${row.control.runtimeEvidence}`,
      '',
    );
    for (const rule of row.rules) {
      out.push(`- ${ruleLine(rule)}`);
      for (const f of rule.findings.filter((x) => x.status !== 'not-applicable')) {
        const why = f.acknowledgement ? ` — acknowledged: ${f.acknowledgement}` : '';
        out.push(`  - ${f.status} (${f.level}) \`${f.resource}\`: ${f.message}${why}`);
      }
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderHtml(findings: readonly Finding[], meta: ReportMeta, generatedAt: string): string {
  const rows = buildMatrix(findings);
  const sum = summariseFindings(findings);
  const tr = rows.map((row) => {
    const rules = row.rules
      .map((r) => {
        const items = r.findings
          .filter((f) => f.status !== 'not-applicable')
          .map(
            (f) =>
              `<li class="${f.status}">${esc(f.status)} <code>${esc(f.resource)}</code>: ${esc(f.message)}${f.acknowledgement ? ` <em>acknowledged: ${esc(f.acknowledgement)}</em>` : ''}</li>`,
          )
          .join('');
        return `<details><summary>${esc(ruleLine(r).replace(/`/g, ''))}</summary><ul>${items}</ul></details>`;
      })
      .join('');
    return `<tr><td>${esc(row.control.id)}</td><td>${esc(row.control.title)}</td><td>${esc(row.control.mechanism)}<br><small>Runtime evidence: ${esc(row.control.runtimeEvidence)}</small></td><td>${rules || '—'}</td><td class="s-${row.status}">${esc(STATUS_LABEL[row.status])}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}th{background:#f3f3f3}
.s-fail{background:#fdd;font-weight:bold}.s-could-not-validate{background:#ffe6b3;font-weight:bold}
.s-pass{background:#dfd}.s-acknowledged{background:#e6f0ff}.non-compliant{color:#a00}.acknowledged{color:#225}
code{font-size:12px}summary{cursor:pointer}
</style></head><body>
<h1>${esc(meta.title)}</h1>
<p>HIPAA Security Rule technical safeguards (45 CFR § 164.312) — ${esc(meta.cloud.toUpperCase())} — generated ${esc(generatedAt)}.<br>
Packs: ${esc(meta.packs.join(', '))}. Findings: ${sum.findings}; unacknowledged errors: <strong>${sum.blocking}</strong>.</p>
${(meta.notes ?? []).length ? `<ul>${(meta.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<table><thead><tr><th>§ 164.312</th><th>Standard</th><th>Warden mechanism</th><th>Enforced by</th><th>Status</th></tr></thead>
<tbody>
${tr.join('\n')}
</tbody></table></body></html>
`;
}

/**
 * Writes hipaa-matrix.md, hipaa-matrix.html and hipaa-findings.json into `outDir` (created if
 * needed) and returns their paths and the number of unacknowledged errors.
 */
export function writeHipaaReport(
  findings: readonly Finding[],
  outDir: string,
  meta: ReportMeta,
): WrittenReport {
  const generatedAt = meta.generatedAt ?? new Date().toISOString();
  mkdirSync(outDir, { recursive: true });
  const paths = {
    markdown: join(outDir, 'hipaa-matrix.md'),
    html: join(outDir, 'hipaa-matrix.html'),
    json: join(outDir, 'hipaa-findings.json'),
  };
  writeFileSync(paths.markdown, renderMarkdown(findings, meta, generatedAt));
  writeFileSync(paths.html, renderHtml(findings, meta, generatedAt));
  const summary = summariseFindings(findings);
  const matrix = buildMatrix(findings).map((r) => ({
    control: r.control,
    status: r.status,
    rules: r.rules.map(({ findings: _f, ...rest }) => rest),
  }));
  writeFileSync(
    paths.json,
    `${JSON.stringify({ meta: { ...meta, generatedAt }, summary, matrix, findings }, null, 2)}\n`,
  );
  return { ...paths, blocking: summary.blocking };
}
