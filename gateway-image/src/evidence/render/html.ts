/** evidence.html: the pack for reviewers without a Markdown viewer, with the per-day chart. */
import { type EvidenceData, SECTION_TITLES } from '../model';
import { activityChart } from './chart';
import { evidenceDocument, type Table } from './document';

const esc = (v: string | number) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function table(t: Table): string {
  if (t.rows.length === 0) return `<p>${esc(t.empty ?? `None: ${t.headers[0]}.`)}</p>`;
  const head = t.headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export function renderHtml(d: EvidenceData): string {
  const sections = evidenceDocument(d).map(
    (s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>
<p class="req">Evidence for ${esc(s.evidences.join(', '))}.</p>
${s.id === 'activity' ? activityChart(d.activity) : ''}
${s.lines.map((l) => `<p>${esc(l)}</p>`).join('\n')}
${s.tables.map(table).join('\n')}</section>`,
  );
  const requirements = table({
    headers: ['requirement', 'standard', 'sections'],
    rows: d.requirements.map((r) => [
      `§ ${r.id}`,
      r.title,
      r.sections.map((s) => SECTION_TITLES[s]).join(', '),
    ]),
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warden evidence pack ${esc(d.period.from)} – ${esc(d.period.to)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111;max-width:80rem}table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}th{background:#f3f3f3}
.ok{color:#060;font-weight:bold}.bad{color:#a00;font-weight:bold}.req{color:#555}
</style></head><body>
<h1>Warden evidence pack</h1>
<p>Period ${esc(d.period.from)} to ${esc(d.period.to)} (UTC, end exclusive)${d.host ? `, exported on ${esc(d.host)}` : ''}, generated ${esc(d.generatedAt)} by ${esc(d.generator)}.<br>
Audit log: <span class="${d.integrity.ok ? 'ok">verified' : 'bad">NOT VERIFIED'}</span>${d.integrity.keyId ? `, checkpoint key ${esc(d.integrity.keyId)}` : ''}.<br>
Counts, names and hashes only: the pack holds no value from a protected system, no command text and no free-text reason.
Check it with <code>warden evidence verify &lt;this directory&gt; --public-key &lt;key.pem&gt;</code>.</p>
<h2>Requirements and the sections that evidence them</h2>
${requirements}
${sections.join('\n')}
</body></html>
`;
}
