/** What `warden classify` prints: the missing columns, the counts, and the block to paste. */
import type { ClassifyResult } from './classify';

export function formatClassifyResult(connection: string, r: ClassifyResult): string {
  const lines = [
    r.missing.length === 0
      ? `OK: connection "${connection}": no unclassified column looks like an identifier`
      : `${r.missing.length} column(s) of connection "${connection}" look like identifiers but are not classified:`,
    ...r.missing.map((f) => `  ${f.column.padEnd(40)} ${f.entity.padEnd(18)} ${f.reason}`),
    `  ${r.tables} table(s), ${r.columns} column(s), ${r.sampledRows} row(s) sampled; ${r.classified} column(s) classified`,
  ];
  if (r.notAboutIndividuals.length > 0)
    lines.push(
      `  tables with no classified column and no reference to one (only the detectors ran there): ${r.notAboutIndividuals.join(', ')}`,
    );
  if (r.missing.length > 0) {
    lines.push(
      '',
      `Paste as connections[name="${connection}"].classification:`,
      JSON.stringify(r.suggested, null, 2),
    );
  }
  return `${lines.join('\n')}\n`;
}
