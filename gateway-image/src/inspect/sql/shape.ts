/**
 * A statement's shape: its text with the values of plain literals taken out, so statements that
 * differ only in those values (pgbench's `… WHERE aid = 48213`, an application's queries with
 * values inlined) can share one inspection. The inspector decides whether its facts may be shared
 * (they may not when they depend on a literal: a SET's value, `ORDER BY 1`).
 *
 * The reader is deliberately small and conservative: two texts get the same shape only if they are
 * identical outside plain string literals ('…', without a backslash, read with
 * standard_conforming_strings on — the only setting the gateway allows) and unsigned integers, so
 * PostgreSQL splits both into the same tokens. Anything it does not follow for certain — comments,
 * dollar quotes, prefixed strings (E'…', U&'…', B'…', X'…', N'…'), backslashes, numbers with a
 * point, an exponent or a radix — gives no shape, and the text is inspected as it is.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html
 */

/** Stands for one literal's value; NUL cannot occur in a statement text, so it marks nothing else. */
const VALUE = '\u0000';

function isIdentifierChar(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

/** The shape of `text`, or undefined when it uses a construct this reader does not follow. */
export function literalShape(text: string): string | undefined {
  let out = '';
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === "'") {
      const before = text[i - 1];
      // E'…', N'…', B'…', X'…' (an identifier character right before) and U&'…' read differently.
      if (isIdentifierChar(before) || before === '&') return undefined;
      let j = i + 1;
      for (;;) {
        const k = text.indexOf("'", j);
        if (k < 0) return undefined;
        if (text[k + 1] === "'") {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      if (text.slice(i, j).includes('\\')) return undefined;
      out += `${text.slice(from, i)}'${VALUE}'`;
      from = j;
      i = j;
      continue;
    }
    if (ch === '"') {
      // U&"…" UESCAPE '…': the escape character, a literal, decides what the name says.
      if (text[i - 1] === '&') return undefined;
      // A quoted identifier is code: kept as written ("" is a quote inside it).
      let j = i + 1;
      for (;;) {
        const k = text.indexOf('"', j);
        if (k < 0) return undefined;
        if (text[k + 1] === '"') {
          j = k + 2;
          continue;
        }
        i = k + 1;
        break;
      }
      continue;
    }
    if (ch === '\\' || ch === '\u0000') return undefined;
    if ((ch === '-' && text[i + 1] === '-') || (ch === '/' && text[i + 1] === '*')) return undefined;
    if (ch === '$') {
      // $1 is a parameter; anything else starts a dollar quote (or is part of a name: not followed).
      if (!/[0-9]/.test(text[i + 1] ?? '') || isIdentifierChar(text[i - 1])) return undefined;
      i += 2;
      while (i < n && /[0-9]/.test(text[i]!)) i++;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      const before = text[i - 1];
      let j = i;
      while (j < n && /[0-9]/.test(text[j]!)) j++;
      if (isIdentifierChar(before) || before === '.') {
        // Part of a name (t1, col_2): code.
        i = j;
        continue;
      }
      // 1.5, 1e3, 0x1F, 1_000, 12abc: not a plain integer.
      if (isIdentifierChar(text[j]) || text[j] === '.') return undefined;
      out += `${text.slice(from, i)}${VALUE}`;
      from = j;
      i = j;
      continue;
    }
    i++;
  }
  return out + text.slice(from);
}
