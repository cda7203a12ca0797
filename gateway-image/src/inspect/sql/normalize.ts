import { fingerprintSync, normalizeSync, scanSync } from 'libpg-query';
import { assertParserLoaded } from './parser';

/**
 * A literal token: a string in any of PostgreSQL's spellings ('…', E'…', U&'…', B'…', X'…',
 * $tag$…$tag$) or a number. Decided on the token text rather than on libpg-query's token numbers,
 * which follow the grammar of each PostgreSQL release.
 */
const LITERAL = /^(?:[EeBbXx]?'|[Uu]&'|\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$|\.?\d)/;
const COMMENT = /^(?:--|\/\*)/;
const PARAM = /^\$(\d+)$/;
const MAYBE_LITERAL = /['\d$]|--|\/\*/;

/**
 * The text with every literal replaced by a `$n` placeholder and comments removed, safe to audit.
 *
 * libpg-query's normalize replaces constants in plannable statements only: it leaves literals in
 * utility statements (`COPY t TO '/path'`, `PREPARE … AS … 'x'`, `CREATE TABLE … AS SELECT 'x'`,
 * `COMMENT ON … IS 'x'`) and keeps comments, which can hold anything. A second pass over the
 * scanner's tokens closes both gaps, numbering on from the highest placeholder already present.
 * It also turns the numbers libpg-query keeps on purpose (`ORDER BY 1`, `varchar(20)`) into
 * placeholders: it cannot tell them from an identifier typed as a number, and the audit log must
 * not hold one.
 */
export function normalizeSql(text: string): string {
  assertParserLoaded();
  if (text.trim().length === 0) return '';
  const first = normalizeSync(text);
  // Most commands come back from libpg-query with nothing left to hide; scanning costs as much as
  // parsing, so it runs only when a quote, comment, dollar quote or digit (beyond $n) remains.
  if (!MAYBE_LITERAL.test(first.replace(/\$\d+/g, ''))) return first.trim();
  const bytes = Buffer.from(first, 'utf8');
  const tokens = scanSync(first).tokens;
  let next = 1;
  for (const t of tokens) {
    const m = PARAM.exec(t.text);
    if (m) next = Math.max(next, Number(m[1]) + 1);
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (const t of tokens) {
    let replacement: string | undefined;
    if (COMMENT.test(t.text)) replacement = ' ';
    else if (LITERAL.test(t.text)) replacement = `$${next++}`;
    if (replacement === undefined) continue;
    // Scanner offsets are byte offsets into the UTF-8 text.
    parts.push(bytes.subarray(at, t.start), Buffer.from(replacement, 'utf8'));
    at = t.end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts).toString('utf8').trim();
}

/** libpg-query's fingerprint: equal for statements that differ only in literals and spacing. */
export function fingerprintSql(text: string): string {
  assertParserLoaded();
  return fingerprintSync(text.trim().length === 0 ? ';' : text);
}
