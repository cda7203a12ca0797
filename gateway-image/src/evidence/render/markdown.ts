/** evidence.md: the pack for people who read it in a repository or a pull request. */
import { type EvidenceData, SECTION_TITLES } from '../model';
import { evidenceDocument, type Table } from './document';

/** Markdown table cells cannot hold pipes or newlines. */
const cell = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(t: Table): string[] {
  if (t.rows.length === 0) return [t.empty ?? `None: ${t.headers[0]}.`, ''];
  return [
    `| ${t.headers.map(cell).join(' | ')} |`,
    `|${t.headers.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ];
}

export function renderMarkdown(d: EvidenceData): string {
  const out = [
    '# Warden evidence pack',
    '',
    `Period ${d.period.from} to ${d.period.to} (UTC, end exclusive)${d.host ? `, exported on ${d.host}` : ''}, generated ${d.generatedAt} by ${d.generator}.`,
    `Audit log: ${d.integrity.ok ? '**verified**' : '**NOT VERIFIED**'}${d.integrity.keyId ? `, checkpoint key ${d.integrity.keyId}` : ''}.`,
    'Counts, names and hashes only: the pack holds no value from a protected system, no command text and no free-text reason.',
    'Check it with `warden evidence verify <this directory> --public-key <key.pem>`.',
    '',
    '## Requirements and the sections that evidence them',
    '',
    ...table({
      headers: ['requirement', 'standard', 'sections'],
      rows: d.requirements.map((r) => [
        `§ ${r.id}`,
        r.title,
        r.sections.map((s) => SECTION_TITLES[s]).join(', '),
      ]),
    }),
  ];
  for (const s of evidenceDocument(d)) {
    out.push(`## ${s.title}`, '', `Evidence for ${s.evidences.join(', ')}.`, '');
    for (const line of s.lines) out.push(line, '');
    for (const t of s.tables) out.push(...table(t));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
