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
import type { ShellFeature } from '../facts';
import { decodeAnsiC } from './ansi-c';

export type { ShellFeature } from '../facts';

/** What makes a word's run-time value unknown here, for the notes policy reports. */
export type ExpansionKind =
  | 'variable'
  | 'ansi-c'
  | 'glob'
  | 'brace'
  | 'substitution'
  | 'arithmetic'
  | 'tilde';

/** The command line is malformed or uses a construct the scanner does not follow. */
export class ShellSyntaxError extends WardenError {
  constructor(message: string) {
    super('ERR_SHELL_SYNTAX', message);
  }
}

export interface ShellWord {
  /**
   * The word after quote removal; expansions are kept as written (`$HOME` stays `$HOME`), except
   * ANSI-C quoting, which is decoded (`$'\x72m'` is `rm`) so the real name can be reported.
   */
  readonly value: string;
  /** Contains an expansion, substitution or unquoted glob: its run-time value is not known here. */
  readonly dynamic: boolean;
  readonly quoted: boolean;
  /** The first expansion that made the word dynamic. */
  readonly expansion?: ExpansionKind;
}

export interface Redirect {
  /** The operator as written, without its fd (`<`, `>`, `>>`, `&>`, `<<<`, `>&`, …). */
  readonly op: string;
  readonly target: ShellWord;
  /** A here-document's body (filled in once the scanner reaches it; `<<` and `<<-` only). */
  body?: { readonly text: string; readonly dynamic: boolean };
}

/** One simple command: its words after assignments and redirections are taken out. */
export interface SimpleCommand {
  /** Empty for a line of redirections alone (`> file`, which the shell runs like `: > file`). */
  readonly words: readonly ShellWord[];
  /** Nesting depth: 0 top level, +1 inside each $(…), `…`, <(…) or sh -c. */
  readonly depth: number;
  readonly redirects: readonly Redirect[];
  /** Inside a command or process substitution: its output feeds the line, not the client. */
  readonly captured: boolean;
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
/**
 * Variables that change which program a name runs or what runs before it: a line setting one
 * cannot be inspected (its program names would no longer mean what they say).
 */
const STEERING_VARIABLES =
  /^(PATH|ENV|BASH_ENV|SHELLOPTS|BASHOPTS|PROMPT_COMMAND|PS4|GLOBIGNORE|EXECIGNORE|LD_[A-Z_]+|GCONV_PATH|BASH_FUNC_.*|BASH_LOADABLES_PATH|CDPATH)$/;

/** Throws when an assignment (`NAME=…`, `export NAME=…`, `env NAME=…`) names a steering variable. */
export function checkAssignment(text: string): void {
  const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(text)?.[1];
  if (name && STEERING_VARIABLES.test(name)) {
    throw new ShellSyntaxError(`setting ${name} changes which programs run, so the line cannot be inspected`);
  }
}

export function scanCommandLine(src: string, depth = 0, out?: ScanResult, captured = false): ScanResult {
  const result = out ?? { commands: [], features: new Set<ShellFeature>() };
  const scanner = new Scanner(src, depth, result, captured);
  scanner.list(undefined);
  return result;
}

class Scanner {
  private pos = 0;
  private readonly heredocs: { delimiter: string; strip: boolean; quoted: boolean; redirect: Redirect }[] =
    [];

  constructor(
    private readonly src: string,
    private readonly depth: number,
    private readonly result: ScanResult,
    private readonly captured: boolean,
  ) {}

  /** A list of pipelines up to `close` (or the end); returns after consuming `close`. */
  list(close: ')' | undefined): void {
    let words: ShellWord[] = [];
    let redirects: Redirect[] = [];
    let separated = false;
    let sawCommand = false;
    let skipRest = false;
    const finish = () => {
      if ((words.length > 0 || redirects.length > 0) && !skipRest) {
        this.result.commands.push({ words, depth: this.depth, redirects, captured: this.captured });
      }
      if (words.length > 0) sawCommand = true;
      words = [];
      redirects = [];
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
        words.push({ value: '/dev/fd/?', dynamic: true, quoted: false, expansion: 'substitution' });
        continue;
      }
      const redirection = this.redirection();
      if (redirection) {
        this.result.features.add('redirection');
        this.blanks();
        const target = this.word();
        if (!target) throw new ShellSyntaxError(`missing target after "${redirection}"`);
        const redirect: Redirect = { op: redirection, target };
        redirects.push(redirect);
        if (redirection.startsWith('<<') && redirection !== '<<<') {
          this.heredocs.push({
            delimiter: target.value,
            strip: redirection === '<<-',
            quoted: target.quoted,
            redirect,
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
        const text = this.src.slice(raw, this.pos);
        if (ASSIGNMENT.test(text)) {
          checkAssignment(text);
          continue;
        }
        if (!w.quoted && RESERVED.has(w.value)) continue;
        if (!w.quoted && w.value === 'case') throw new ShellSyntaxError('case is not inspectable');
        if (!w.quoted && w.value === 'coproc') throw new ShellSyntaxError('coproc is not inspectable');
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
    const m = /^(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})?/.exec(this.src.slice(this.pos, this.pos + 64))!;
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

  /**
   * Here-document bodies start on the line after their operator: read up to the delimiter and
   * kept with their redirection (a shell reading one runs it as a script).
   */
  private skipHeredocs(): void {
    for (const doc of this.heredocs.splice(0)) {
      const lines: string[] = [];
      for (;;) {
        if (this.pos >= this.src.length) break;
        const end = this.src.indexOf('\n', this.pos);
        const line = this.src.slice(this.pos, end < 0 ? undefined : end);
        this.pos = end < 0 ? this.src.length : end + 1;
        const text = doc.strip ? line.replace(/^\t+/, '') : line;
        if (text === doc.delimiter) break;
        // An unquoted delimiter means the body is expanded: a substitution there runs a program.
        if (!doc.quoted && /\$\(|`/.test(line)) {
          throw new ShellSyntaxError('command substitution inside a here-document is not inspectable');
        }
        lines.push(text);
      }
      const text = lines.map((l) => `${l}\n`).join('');
      doc.redirect.body = { text, dynamic: !doc.quoted && /[$\\]/.test(text) };
    }
  }

  /** One word, or undefined when the next character cannot start one. */
  private word(): ShellWord | undefined {
    let value = '';
    let expansion: ExpansionKind | undefined;
    let quoted = false;
    /** The unquoted characters, where braces and globs take effect. */
    let bare = '';
    const start = this.pos;
    // ANSI-C quoting is decoded, so it is kept only while nothing else makes the word unknown.
    const found = (kind: ExpansionKind) => {
      if (expansion === undefined || expansion === 'ansi-c') expansion = kind;
    };
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
        const inner = this.doubleQuoted();
        value += inner.value;
        quoted = true;
        if (inner.expansion) found(inner.expansion);
      } else if (c === '$' || c === '`') {
        const e = this.expansion();
        value += e.text;
        found(e.kind);
        if (e.kind === 'ansi-c') quoted = true;
      } else {
        if (c === '*' || c === '?' || c === '[') found('glob');
        if (c === '~' && this.pos === start) found('tilde');
        value += c;
        bare += c;
        this.pos++;
      }
    }
    // Brace expansion: `{r,}m` is `rm m`, `{a..c}` three words.
    if (/\{[^{}]*(,|\.\.)[^{}]*\}/.test(bare)) found('brace');
    if (this.pos === start) return undefined;
    return expansion ? { value, dynamic: true, quoted, expansion } : { value, dynamic: false, quoted };
  }

  /** The inside of "…": only $, ` and \ are special there (and $'…' is not ANSI-C quoting). */
  private doubleQuoted(): { value: string; expansion?: ExpansionKind } {
    let value = '';
    let expansion: ExpansionKind | undefined;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) throw new ShellSyntaxError('unterminated double quote');
      if (c === '"') {
        this.pos++;
        return expansion ? { value, expansion } : { value };
      }
      if (c === '\\' && '$`"\\\n'.includes(this.src[this.pos + 1] ?? '')) {
        if (this.src[this.pos + 1] !== '\n') value += this.src[this.pos + 1];
        this.pos += 2;
      } else if (c === '$' && this.src[this.pos + 1] === "'") {
        value += c;
        this.pos++;
      } else if (c === '$' || c === '`') {
        const e = this.expansion();
        value += e.text;
        expansion ??= e.kind;
      } else {
        value += c;
        this.pos++;
      }
    }
  }

  /**
   * $name, ${…}, $(…), $((…)), $'…', `…`: substitutions are scanned as nested command lines.
   * Returns the text as written, except $'…', which is decoded.
   */
  private expansion(): { text: string; kind: ExpansionKind } {
    const start = this.pos;
    const src = this.src;
    const kind = this.expansionKind();
    if (kind === 'ansi-c') {
      const m = /^\$'(?:[^'\\]|\\.)*'/s.exec(src.slice(this.pos));
      if (!m) throw new ShellSyntaxError("unterminated $'…'");
      this.pos += m[0].length;
      return { text: decodeAnsiC(m[0].slice(2, -1)), kind };
    }
    this.skipExpansion();
    return { text: src.slice(start, this.pos), kind };
  }

  private expansionKind(): ExpansionKind {
    const src = this.src;
    if (src[this.pos] === '`') return 'substitution';
    const next = src[this.pos + 1];
    if (next === '(' && src[this.pos + 2] === '(') return 'arithmetic';
    if (next === '(') return 'substitution';
    if (next === "'") return 'ansi-c';
    return 'variable';
  }

  private skipExpansion(): void {
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
      return;
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
    } else {
      const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?/.exec(src.slice(this.pos, this.pos + 256))!;
      this.pos += m[0].length;
    }
  }

  /** Scans a nested command line in place, up to and including `close`. */
  private nested(close: ')'): void {
    const inner = new Scanner(this.src, this.depth + 1, this.result, true);
    inner.pos = this.pos;
    inner.list(close);
    this.pos = inner.pos;
  }

  private substitution(inner: string): void {
    this.result.features.add('substitution');
    scanCommandLine(inner, this.depth + 1, this.result, true);
  }
}
