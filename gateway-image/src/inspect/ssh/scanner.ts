/**
 * A POSIX/bash command-line scanner: enough of the shell grammar to say which programs a command
 * line runs and which shell features it uses, without running or expanding anything.
 * https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html
 *
 * Anything it cannot follow for certain (case, function definitions, substitutions inside
 * parameter or arithmetic expansions) throws ShellSyntaxError: a command that cannot be inspected
 * is denied, so guessing would be the unsafe choice.
 */
import { WardenError } from '../../errors';
import type { ShellFacts } from '../facts';

export type ShellFeature = ShellFacts['features'][number];

/** The command line is malformed or uses a construct the scanner does not follow. */
export class ShellSyntaxError extends WardenError {
  constructor(message: string) {
    super('ERR_SHELL_SYNTAX', message);
  }
}

export interface ShellWord {
  /** The word after quote removal; expansions are kept as written (`$HOME` stays `$HOME`). */
  readonly value: string;
  /** Contains an expansion, substitution or unquoted glob: its run-time value is not known here. */
  readonly dynamic: boolean;
  readonly quoted: boolean;
}

/** One simple command: its words after assignments and redirections are taken out. */
export interface SimpleCommand {
  readonly words: readonly ShellWord[];
  /** Nesting depth: 0 top level, +1 inside each $(…), `…`, <(…) or sh -c. */
  readonly depth: number;
}

export interface ScanResult {
  readonly commands: SimpleCommand[];
  readonly features: Set<ShellFeature>;
}

/** Reserved words that begin or end compound commands; none of them is a program. */
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '{', '}', '!']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const WORD_END = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const REDIRECTIONS = ['<<<', '<<-', '&>>', '<<', '>>', '>|', '<>', '<&', '>&', '&>', '<', '>'];

export function scanCommandLine(src: string, depth = 0, out?: ScanResult): ScanResult {
  const result = out ?? { commands: [], features: new Set<ShellFeature>() };
  const scanner = new Scanner(src, depth, result);
  scanner.list(undefined);
  return result;
}

class Scanner {
  private pos = 0;
  private readonly heredocs: { delimiter: string; strip: boolean; quoted: boolean }[] = [];

  constructor(
    private readonly src: string,
    private readonly depth: number,
    private readonly result: ScanResult,
  ) {}

  /** A list of pipelines up to `close` (or the end); returns after consuming `close`. */
  list(close: ')' | undefined): void {
    let words: ShellWord[] = [];
    let separated = false;
    let sawCommand = false;
    let skipRest = false;
    const finish = () => {
      if (words.length > 0 && !skipRest) this.result.commands.push({ words, depth: this.depth });
      if (words.length > 0) sawCommand = true;
      words = [];
      skipRest = false;
    };
    for (;;) {
      this.blanks();
      const c = this.src[this.pos];
      if (c === undefined) {
        if (close) throw new ShellSyntaxError(`missing "${close}"`);
        finish();
        return;
      }
      if (c === '#' && words.length === 0) {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
        continue;
      }
      if (c === ')') {
        if (close !== ')') throw new ShellSyntaxError('unexpected ")"');
        this.pos++;
        finish();
        return;
      }
      if (c === '(') {
        this.pos++;
        if (words.length > 0) throw new ShellSyntaxError('function definitions are not inspectable');
        if (this.src[this.pos] === '(') throw new ShellSyntaxError('(( … )) is not inspectable');
        if (separated && sawCommand) this.result.features.add('sequence');
        this.list(')');
        continue;
      }
      if ((c === '<' || c === '>') && this.src[this.pos + 1] === '(') {
        // Process substitution <(…) / >(…): a nested command line whose result is a file name.
        this.pos += 2;
        this.result.features.add('substitution');
        this.nested(')');
        words.push({ value: '/dev/fd/?', dynamic: true, quoted: false });
        continue;
      }
      const redirection = this.redirection();
      if (redirection) {
        this.result.features.add('redirection');
        this.blanks();
        const target = this.word();
        if (!target) throw new ShellSyntaxError(`missing target after "${redirection}"`);
        if (redirection.startsWith('<<') && redirection !== '<<<') {
          this.heredocs.push({
            delimiter: target.value,
            strip: redirection === '<<-',
            quoted: target.quoted,
          });
        }
        continue;
      }
      const op = this.operator();
      if (op) {
        finish();
        if (op === '|' || op === '|&') this.result.features.add('pipe');
        else if (op === '&') this.result.features.add('background');
        else if (op === ';;') throw new ShellSyntaxError('case is not inspectable');
        if (op === '\n') this.skipHeredocs();
        separated = op !== '|' && op !== '|&';
        continue;
      }
      const raw = this.pos;
      const w = this.word();
      if (!w) throw new ShellSyntaxError(`unexpected "${c}"`);
      if (words.length === 0) {
        // NAME=value before the program; the name itself must be unquoted (`"A=1" x` runs `A=1`).
        if (ASSIGNMENT.test(this.src.slice(raw, this.pos))) continue;
        if (!w.quoted && RESERVED.has(w.value)) continue;
        if (!w.quoted && w.value === 'case') throw new ShellSyntaxError('case is not inspectable');
        if (!w.quoted && (w.value === 'for' || w.value === 'select')) skipRest = true;
        if (!w.quoted && w.value === 'function') {
          throw new ShellSyntaxError('function definitions are not inspectable');
        }
        if (separated && sawCommand) this.result.features.add('sequence');
      }
      words.push(w);
    }
  }

  private blanks(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.src[this.pos + 1] === '\n') this.pos += 2;
      else return;
    }
  }

  /** A redirection operator, with an optional fd number (`2>`) or `{name}` in front. */
  private redirection(): string | undefined {
    const m = /^(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})?/.exec(this.src.slice(this.pos))!;
    const at = this.pos + m[0].length;
    // `echo 2` followed by a blank is a word, `echo 2>x` is a redirection; the lookahead decides.
    const op = REDIRECTIONS.find((r) => this.src.startsWith(r, at));
    if (!op) return undefined;
    this.pos = at + op.length;
    return op;
  }

  private operator(): string | undefined {
    for (const op of [';;', '&&', '||', '|&', '|', '&', ';', '\n']) {
      if (this.src.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    return undefined;
  }

  /** Here-document bodies start on the line after their operator; skip them up to the delimiter. */
  private skipHeredocs(): void {
    for (const doc of this.heredocs.splice(0)) {
      for (;;) {
        if (this.pos >= this.src.length) return;
        const end = this.src.indexOf('\n', this.pos);
        const line = this.src.slice(this.pos, end < 0 ? undefined : end);
        this.pos = end < 0 ? this.src.length : end + 1;
        if ((doc.strip ? line.replace(/^\t+/, '') : line) === doc.delimiter) break;
        // An unquoted delimiter means the body is expanded: a substitution there runs a program.
        if (!doc.quoted && /\$\(|`/.test(line)) {
          throw new ShellSyntaxError('command substitution inside a here-document is not inspectable');
        }
      }
    }
  }

  /** One word, or undefined when the next character cannot start one. */
  private word(): ShellWord | undefined {
    let value = '';
    let dynamic = false;
    let quoted = false;
    const start = this.pos;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined || WORD_END.has(c)) break;
      if (c === '\\') {
        const next = this.src[this.pos + 1];
        this.pos += 2;
        quoted = true;
        if (next !== undefined && next !== '\n') value += next;
      } else if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError('unterminated single quote');
        value += this.src.slice(this.pos + 1, end);
        this.pos = end + 1;
        quoted = true;
      } else if (c === '"') {
        this.pos++;
        value += this.doubleQuoted();
        quoted = true;
        dynamic ||= /\$|`/.test(value);
      } else if (c === '$' || c === '`') {
        value += this.expansion();
        dynamic = true;
      } else {
        if (c === '*' || c === '?' || c === '[') dynamic = true;
        value += c;
        this.pos++;
      }
    }
    return this.pos === start ? undefined : { value, dynamic, quoted };
  }

  /** The inside of "…": only $, ` and \ are special there. */
  private doubleQuoted(): string {
    let value = '';
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) throw new ShellSyntaxError('unterminated double quote');
      if (c === '"') {
        this.pos++;
        return value;
      }
      if (c === '\\' && '$`"\\\n'.includes(this.src[this.pos + 1] ?? '')) {
        if (this.src[this.pos + 1] !== '\n') value += this.src[this.pos + 1];
        this.pos += 2;
      } else if (c === '$' || c === '`') {
        value += this.expansion();
      } else {
        value += c;
        this.pos++;
      }
    }
  }

  /** $name, ${…}, $(…), $((…)), $'…', `…`: substitutions are scanned as nested command lines. */
  private expansion(): string {
    const start = this.pos;
    const src = this.src;
    if (src[this.pos] === '`') {
      let inner = '';
      let i = this.pos + 1;
      for (; i < src.length && src[i] !== '`'; i++) {
        if (src[i] === '\\' && '$`\\'.includes(src[i + 1] ?? '')) i++;
        inner += src[i];
      }
      if (i >= src.length) throw new ShellSyntaxError('unterminated backquote');
      this.pos = i + 1;
      this.substitution(inner);
      return src.slice(start, this.pos);
    }
    const next = src[this.pos + 1];
    if (next === '(' && src[this.pos + 2] === '(') {
      const end = src.indexOf('))', this.pos);
      const body = end < 0 ? '' : src.slice(this.pos + 3, end);
      if (end < 0 || /\$\(|`|\(/.test(body)) throw new ShellSyntaxError('$(( … )) is not inspectable');
      this.pos = end + 2;
    } else if (next === '(') {
      this.pos += 2;
      this.result.features.add('substitution');
      this.nested(')');
    } else if (next === '{') {
      const end = src.indexOf('}', this.pos);
      const body = end < 0 ? '' : src.slice(this.pos + 2, end);
      if (end < 0 || /[$`'"{]/.test(body))
        throw new ShellSyntaxError('parameter expansion with nesting is not inspectable');
      this.pos = end + 1;
    } else if (next === "'") {
      const m = /^\$'(?:[^'\\]|\\.)*'/s.exec(src.slice(this.pos));
      if (!m) throw new ShellSyntaxError("unterminated $'…'");
      this.pos += m[0].length;
    } else {
      const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?/.exec(src.slice(this.pos))!;
      this.pos += m[0].length;
    }
    return src.slice(start, this.pos);
  }

  /** Scans a nested command line in place, up to and including `close`. */
  private nested(close: ')'): void {
    const inner = new Scanner(this.src, this.depth + 1, this.result);
    inner.pos = this.pos;
    inner.list(close);
    this.pos = inner.pos;
  }

  private substitution(inner: string): void {
    this.result.features.add('substitution');
    scanCommandLine(inner, this.depth + 1, this.result);
  }
}
