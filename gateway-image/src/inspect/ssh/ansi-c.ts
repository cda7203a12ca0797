/**
 * Bash's ANSI-C quoting, `$'…'`, decoded as bash does, so that `$'\x72\x6d'` is reported as the
 * `rm` it runs. https://www.gnu.org/software/bash/manual/html_node/ANSI_002dC-Quoting.html
 */

const SIMPLE: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** The text between `$'` and `'`, with its escapes replaced by what they stand for. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i]!;
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const numeric = numericEscape(body, i);
    if (numeric) {
      out += numeric.text;
      i = numeric.end - 1;
    } else if (e === 'c' && i + 1 < body.length) {
      // \cx: the control character of x.
      out += String.fromCharCode(body.charCodeAt(++i) & 0x1f);
    } else {
      // An unknown escape stays as written, backslash included.
      out += `\\${e}`;
    }
  }
  return out;
}

/** \nnn (octal), \xHH, \uHHHH, \UHHHHHHHH starting at body[i] (the letter or first digit). */
function numericEscape(body: string, i: number): { text: string; end: number } | undefined {
  const e = body[i]!;
  const take = (re: RegExp, from: number) => re.exec(body.slice(from))?.[0];
  if (/[0-7]/.test(e)) {
    const digits = take(/^[0-7]{1,3}/, i)!;
    return { text: String.fromCharCode(Number.parseInt(digits, 8) & 0xff), end: i + digits.length };
  }
  const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
  if (width === 0) return undefined;
  const digits = take(new RegExp(`^[0-9A-Fa-f]{1,${width}}`), i + 1);
  if (!digits) return undefined;
  const code = Number.parseInt(digits, 16);
  const text = e === 'x' || code > 0x10ffff ? String.fromCharCode(code & 0xff) : String.fromCodePoint(code);
  return { text, end: i + 1 + digits.length };
}
