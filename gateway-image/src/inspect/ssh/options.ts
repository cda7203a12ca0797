/**
 * Command-line options the way getopt_long reads them, so that an option cannot hide from the
 * catalog: clustered short options (`-rn`), attached values (`-n5`, `--lines=5`), values in the
 * next word, unambiguous long prefixes (`--only` is `--only-matching`), `-NUM` shorthands, options
 * after operands (GNU permutation) and `--`. Nothing is run or expanded.
 */
import type { ShellWord } from './scanner';

export type LongKind = 'flag' | 'value' | 'optional';

export interface OptionSpec {
  /** Short options without a value. */
  readonly flags?: string;
  /** Short options with a value, attached (`-n5`) or in the next word. */
  readonly values?: string;
  /** Short options whose value can only be attached (`xargs -i{}`). */
  readonly optional?: string;
  readonly long?: Readonly<Record<string, LongKind>>;
  /** `-NUM` is an option (`head -5`, `grep -3`). */
  readonly numeric?: boolean;
  /** The first operand ends the options (wrappers and shells: the rest belongs to the program run). */
  readonly stopAtOperand?: boolean;
}

export interface ParsedOption {
  /** `-c`, or the full long name `--bytes` however it was abbreviated. */
  readonly name: string;
  readonly value?: ShellWord;
}

export interface ParsedArgs {
  readonly options: readonly ParsedOption[];
  readonly operands: readonly ShellWord[];
  /** Options the spec does not know, or computed words in option position, as written. */
  readonly unknown: readonly string[];
  /** With stopAtOperand: the index in `args` where the operands begin. */
  readonly rest: number;
}

/** Parses `args` (the words after the program name). */
export function parseOptions(args: readonly ShellWord[], spec: OptionSpec): ParsedArgs {
  const options: ParsedOption[] = [];
  const operands: ShellWord[] = [];
  const unknown: string[] = [];
  let i = 0;
  const attached = (w: ShellWord, value: string): ShellWord => ({ ...w, value });
  for (; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v === '--' && !w.dynamic) {
      i++;
      break;
    }
    if (w.dynamic && (v.startsWith('-') || v.startsWith('$'))) {
      // A computed word may become any number of options or operands when the line runs.
      unknown.push(v);
      if (spec.stopAtOperand) break;
      operands.push(w);
      continue;
    }
    if (!v.startsWith('-') || v === '-') {
      if (spec.stopAtOperand) break;
      operands.push(w);
      continue;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const written = v.slice(2, eq < 0 ? undefined : eq);
      const name = longName(written, spec.long ?? {});
      const kind = name === undefined ? undefined : spec.long![name];
      if (kind === undefined) {
        unknown.push(v);
      } else if (eq >= 0) {
        options.push({ name: `--${name}`, value: attached(w, v.slice(eq + 1)) });
      } else if (kind === 'value' && i + 1 < args.length) {
        options.push({ name: `--${name}`, value: args[++i]! });
      } else {
        options.push({ name: `--${name}` });
      }
      continue;
    }
    if (spec.numeric && /^-\d+$/.test(v)) {
      options.push({ name: '-NUM', value: attached(w, v.slice(1)) });
      continue;
    }
    for (let j = 1; j < v.length; j++) {
      const c = v[j]!;
      if (spec.values?.includes(c)) {
        const rest = v.slice(j + 1);
        if (rest !== '') options.push({ name: `-${c}`, value: attached(w, rest) });
        else if (i + 1 < args.length) options.push({ name: `-${c}`, value: args[++i]! });
        else options.push({ name: `-${c}` });
        break;
      }
      if (spec.optional?.includes(c)) {
        const rest = v.slice(j + 1);
        options.push(rest === '' ? { name: `-${c}` } : { name: `-${c}`, value: attached(w, rest) });
        break;
      }
      if (spec.flags?.includes(c)) options.push({ name: `-${c}` });
      else unknown.push(`-${c}`);
    }
  }
  for (; i < args.length; i++) operands.push(args[i]!);
  const rest = spec.stopAtOperand ? args.length - operands.length : args.length;
  return { options, operands, unknown, rest };
}

/** The long option `written` names: an exact name, or the only one it is a prefix of. */
function longName(written: string, long: Readonly<Record<string, LongKind>>): string | undefined {
  if (Object.hasOwn(long, written)) return written;
  const matches = Object.keys(long).filter((n) => n.startsWith(written));
  return written !== '' && matches.length === 1 ? matches[0] : undefined;
}

/** Whether any of `names` was given. */
export function has(parsed: ParsedArgs, ...names: string[]): boolean {
  return parsed.options.some((o) => names.includes(o.name));
}

/** The values given for any of `names`. */
export function valuesOf(parsed: ParsedArgs, ...names: string[]): ShellWord[] {
  return parsed.options.filter((o) => names.includes(o.name) && o.value).map((o) => o.value!);
}
