/**
 * One simple command → what it runs, by the program catalog: wrappers are followed to the
 * program they run (queued as commands of their own), shell `-c` scripts and `eval` strings are
 * scanned as nested lines, and every program gets its features, the files it reads and notes on
 * why. Redirections belong to the innermost program of a wrapper chain.
 */
import { ALIASES, VETTED, type VettedSpec } from './allowlist';
import { has, parseOptions, valuesOf } from './options';
import {
  DESTRUCTIVE,
  ENCODERS,
  isInterpreter,
  OTHER_SHELLS,
  POSIX_SHELLS,
  SHELL_OPTIONS,
  TRANSFERS,
  UNRESOLVED_RUNNERS,
  WRAPPERS,
  type WrapperSpec,
} from './programs';
import { findCommand } from './resolve-find';
import { note, type ResolvedCommand } from './resolved-command';

export type { ResolvedCommand } from './resolved-command';

import {
  checkAssignment,
  type Redirect,
  ShellSyntaxError,
  type ShellWord,
  type SimpleCommand,
} from './scanner';

/** A command waiting to be resolved; `fedBy` says who adds arguments to it at run time. */
export interface PendingCommand extends SimpleCommand {
  readonly fedBy?: string;
}

export interface ResolveContext {
  /** Queues a command found inside this one (the program a wrapper runs). */
  queue(command: PendingCommand): void;
  /** Scans a command line this one runs (`sh -c`, `eval`, `su -c`) as nested commands. */
  scan(script: string, parent: SimpleCommand): void;
}

const QUIET_TARGETS = /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/;

export function resolveCommand(cmd: PendingCommand, ctx: ResolveContext): ResolvedCommand {
  const first = cmd.words[0];
  const r: ResolvedCommand = {
    program: ':',
    features: new Set(),
    notes: new Map(),
    reads: [],
    guesses: [],
    keepsLines: false,
    captured: cmd.captured,
  };
  if (!first) {
    // `> file` alone: the shell runs it as `: > file`.
    applyRedirects(cmd.redirects, r);
    return r;
  }
  if (first.dynamic && first.expansion === 'ansi-c') {
    // `$'\x72\x6d'` is decoded here, so it is judged as the rm it runs, and as an expansion.
    const decoded = resolveCommand(
      { ...cmd, words: [{ ...first, dynamic: false }, ...cmd.words.slice(1)] },
      ctx,
    );
    note(
      decoded,
      'expansion',
      `"${first.value}" is written in ANSI-C quoting, which only some shells decode`,
    );
    return decoded;
  }
  if (first.dynamic) {
    const named = { ...r, program: first.value };
    note(
      named,
      'expansion',
      `"${first.value}" is a program name computed when the line runs (${first.expansion})`,
    );
    unknownProgram(named, cmd.words.slice(1));
    applyRedirects(cmd.redirects, named);
    return named;
  }
  const base = basename(first.value);
  const name = ALIASES[base] ?? base;
  const out: ResolvedCommand = { ...r, program: base };
  const args = cmd.words.slice(1);
  let redirects = cmd.redirects;
  if (cmd.fedBy) out.unnamedReads = cmd.fedBy;
  if (base === 'rgrep') out.unnamedReads = 'rgrep reads directories recursively';

  const wrapper = WRAPPERS[name];
  if (UNRESOLVED_RUNNERS.has(name)) {
    throw new ShellSyntaxError(
      `${name} runs a program in a way the gateway does not follow; run the program directly`,
    );
  } else if (name === 'busybox') {
    const applet = args[0];
    if (!applet || applet.dynamic || applet.value.startsWith('-')) {
      throw new ShellSyntaxError('busybox without an applet name cannot be inspected');
    }
    ctx.queue({ ...cmd, words: args, depth: cmd.depth + 1 });
    redirects = [];
    unvetted(out, 'busybox is not on the read-only allowlist (its applet is judged on its own)');
  } else if (wrapper) {
    if (runWrapper(name, wrapper, cmd, args, out, ctx)) redirects = [];
  } else if (POSIX_SHELLS.has(name) || OTHER_SHELLS.has(name)) {
    shell(name, cmd, args, out, ctx);
  } else if (name === 'eval' || name === 'trap') {
    scriptBuiltin(name, cmd, args, out, ctx);
  } else if (name === 'find') {
    findCommand(cmd, args, out, ctx);
  } else if (builtinThatRedefines(name, args)) {
    throw new ShellSyntaxError(
      `${name} here changes what command names mean, so the line cannot be inspected`,
    );
  } else if (isInterpreter(name)) {
    note(out, 'shell', `${name} runs code the command line does not show`);
    unknownProgram(out, args);
  } else if (ENCODERS.has(name)) {
    encoder(name, args, out);
  } else if (TRANSFERS.has(name)) {
    transfer(name, args, out);
  } else if (DESTRUCTIVE.has(name) || (name === 'tee' && !args.some((a) => /^-(a|-append)/.test(a.value)))) {
    note(out, 'destructive', `${name} deletes, truncates or overwrites files`);
  } else if (VETTED[name]) {
    vetted(name, VETTED[name]!, args, out);
  } else {
    unknownProgram(out, args);
  }
  const onAllowlist =
    VETTED[name] || wrapper?.vetted || name === 'find' || isVettedShell(name, args, cmd.redirects);
  if (!onAllowlist && !out.features.has('unvetted')) {
    unvetted(out, `${name} is not on the read-only allowlist`);
  }
  applyRedirects(redirects, out);
  return out;
}

/** A word in option position that only the running shell knows (it may split into options). */
function isComputed(word: string): boolean {
  return !word.startsWith('-');
}

function basename(program: string): string {
  return program.slice(program.lastIndexOf('/') + 1);
}

function unvetted(r: ResolvedCommand, why: string): void {
  note(r, 'unvetted', why);
}

/** Static words that are not options may be files: a program the catalog does not know may read them. */
function unknownProgram(r: ResolvedCommand, args: readonly ShellWord[]): void {
  for (const a of args) {
    if (a.dynamic) continue;
    if (!a.value.startsWith('-')) r.guesses.push(a);
    else if (a.value.includes('=')) r.guesses.push({ ...a, value: a.value.slice(a.value.indexOf('=') + 1) });
  }
}

/** Follows a wrapper to the program it runs; true when its redirections go to that program. */
function runWrapper(
  name: string,
  spec: WrapperSpec,
  cmd: PendingCommand,
  args: readonly ShellWord[],
  out: ResolvedCommand,
  ctx: ResolveContext,
): boolean {
  const parsed = parseOptions(args, spec.options);
  if (parsed.unknown.length > 0) {
    throw new ShellSyntaxError(
      `${name} ${parsed.unknown[0]}: an option the gateway does not know, so it cannot tell which program runs`,
    );
  }
  const refused = parsed.options.find((o) => spec.refused?.includes(o.name));
  if (refused) throw new ShellSyntaxError(`${name} ${refused.name} cannot be inspected`);
  out.keepsLines = spec.vetted === true;
  if (name === 'time' && has(parsed, '-o', '--output')) unvetted(out, 'time -o writes a file');
  for (const s of parsed.options.filter((o) => spec.script?.includes(o.name))) {
    if (!s.value || s.value.dynamic) throw new ShellSyntaxError(`${name} ${s.name} with a computed command`);
    ctx.scan(s.value.value, cmd);
    return false;
  }
  if (parsed.options.some((o) => spec.noProgram?.includes(o.name))) return false;
  let rest = args.slice(parsed.rest);
  if (name === 'env') {
    // A lone `-` is -i; NAME=value operands set the environment of the program that follows.
    while (
      rest[0] &&
      !rest[0].dynamic &&
      (rest[0].value === '-' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0].value))
    ) {
      if (rest[0].value !== '-') checkAssignment(rest[0].value);
      rest = rest.slice(1);
    }
  }
  rest = rest.slice(spec.skip ?? 0);
  // flock FILE -c COMMAND: its command option comes after the lock file.
  const late = rest[0] && !rest[0].dynamic && spec.script?.includes(rest[0].value) ? rest[1] : undefined;
  if (rest[0] && spec.script?.includes(rest[0].value)) {
    if (!late || late.dynamic) throw new ShellSyntaxError(`${name} ${rest[0].value} with a computed command`);
    ctx.scan(late.value, cmd);
    return false;
  }
  if (name === 'xargs') {
    note(out, 'shell', 'xargs runs commands built from its input');
    rest = markReplaced(parsed, rest);
  }
  if (spec.joinsOperands && !(spec.execOption && has(parsed, spec.execOption, '--exec'))) {
    if (rest.length === 0) return false;
    if (rest.some((w) => w.dynamic)) throw new ShellSyntaxError(`${name} with a computed command`);
    ctx.scan(rest.map((w) => w.value).join(' '), cmd);
    return false;
  }
  if (rest.length > 0) {
    const fedBy = name === 'xargs' ? 'xargs adds arguments from its input' : cmd.fedBy;
    ctx.queue({ ...cmd, words: rest, depth: cmd.depth + 1, ...(fedBy ? { fedBy } : {}) });
    return true;
  }
  if (parsed.options.some((o) => spec.shell?.includes(o.name)) || spec.defaultProgram === 'sh') {
    note(out, 'shell', `${name} starts a shell that reads its commands from standard input`);
  }
  return false;
}

/** xargs -I{}: a program word holding the replace string is only known when the line runs. */
function markReplaced(parsed: ReturnType<typeof parseOptions>, rest: readonly ShellWord[]): ShellWord[] {
  const given = valuesOf(parsed, '-I', '-i', '--replace').map((w) => w.value);
  const replace = given.length > 0 ? given : has(parsed, '-i', '--replace') ? ['{}'] : [];
  const first = rest[0];
  if (!first || !replace.some((s) => first.value.includes(s))) return [...rest];
  return [{ ...first, dynamic: true, expansion: 'variable' }, ...rest.slice(1)];
}

function isVettedShell(name: string, args: readonly ShellWord[], redirects: readonly Redirect[]): boolean {
  if (!POSIX_SHELLS.has(name)) return false;
  const parsed = parseOptions(plusAsMinus(args), SHELL_OPTIONS);
  if (has(parsed, '-i', '--rcfile', '--init-file')) return false;
  const stdin = has(parsed, '-s') || (!has(parsed, '-c') && parsed.operands.length === 0);
  return stdin ? writtenStdin(redirects) !== undefined : has(parsed, '-c');
}

/** `set +x`-style options parse like their `-` forms (only which options are given matters). */
function plusAsMinus(args: readonly ShellWord[]): ShellWord[] {
  return args.map((a) =>
    /^\+[A-Za-z]+$/.test(a.value) && !a.dynamic ? { ...a, value: `-${a.value.slice(1)}` } : a,
  );
}

function shell(
  name: string,
  cmd: PendingCommand,
  args: readonly ShellWord[],
  out: ResolvedCommand,
  ctx: ResolveContext,
) {
  const parsed = parseOptions(plusAsMinus(args), SHELL_OPTIONS);
  const unknown = parsed.unknown[0];
  if (unknown !== undefined) {
    throw new ShellSyntaxError(
      isComputed(unknown)
        ? `${name} with a computed argument (${unknown})`
        : `${name} ${unknown} cannot be inspected`,
    );
  }
  if (valuesOf(parsed, '-O', '-o').some((v) => v.dynamic || v.value === 'expand_aliases')) {
    throw new ShellSyntaxError(`${name} with aliases or computed options cannot be inspected`);
  }
  const script = parsed.operands[0];
  const stdin = has(parsed, '-s') || (!has(parsed, '-c') && !script);
  const written = stdin ? writtenStdin(cmd.redirects) : undefined;
  if (written !== undefined && !has(parsed, '-i', '--rcfile', '--init-file')) {
    // Its script is a here-document or here-string on the line itself: inspected like sh -c.
    if (OTHER_SHELLS.has(name))
      throw new ShellSyntaxError(`${name} scripts use a grammar the gateway does not read`);
    out.keepsLines = true;
    ctx.scan(written, cmd);
    return;
  }
  if (has(parsed, '-i', '--rcfile', '--init-file') || stdin) {
    note(
      out,
      'shell',
      stdin
        ? `${name} reads its script from standard input`
        : `${name} runs a start-up file or an interactive shell`,
    );
  }
  if (!has(parsed, '-c')) {
    if (script && !stdin) {
      note(out, 'shell', `${name} runs a script file`);
      out.reads.push(script);
    }
    return;
  }
  if (!script || script.dynamic) throw new ShellSyntaxError(`${name} -c with a computed script`);
  if (OTHER_SHELLS.has(name))
    throw new ShellSyntaxError(`${name} -c scripts use a grammar the gateway does not read`);
  out.keepsLines = true;
  ctx.scan(script.value, cmd);
}

/** What a command reads on stdin when the line spells it out: the last here-document or here-string. */
function writtenStdin(redirects: readonly Redirect[]): string | undefined {
  const input = redirects.filter((r) => /^(<|<<|<<-|<<<|<&|<>)$/.test(r.op)).pop();
  if (input?.op === '<<<' && !input.target.dynamic) return input.target.value;
  if ((input?.op === '<<' || input?.op === '<<-') && input.body && !input.body.dynamic)
    return input.body.text;
  return undefined;
}

/** eval and trap run a string as a command line: scanned when it is written out, refused otherwise. */
function scriptBuiltin(
  name: string,
  cmd: PendingCommand,
  args: readonly ShellWord[],
  out: ResolvedCommand,
  ctx: ResolveContext,
) {
  note(out, 'shell', `${name} runs a string as a command line`);
  const script = name === 'trap' ? args.slice(0, 1).filter((w) => !w.value.startsWith('-')) : args;
  if (script.some((w) => w.dynamic)) throw new ShellSyntaxError(`${name} of a computed string`);
  if (script.length > 0) ctx.scan(script.map((w) => w.value).join(' '), cmd);
}

/** Builtins that change what later names run: aliases, hashed paths, loaded builtins, shell options. */
function builtinThatRedefines(name: string, args: readonly ShellWord[]): boolean {
  const values = args.map((a) => a.value);
  if (['export', 'declare', 'typeset', 'local', 'readonly'].includes(name)) {
    for (const a of args) {
      if (a.value.startsWith('-')) continue;
      // A computed name could be PATH; a computed value after a written name is harmless.
      if (!/^[A-Za-z_][A-Za-z0-9_]*(=|$)/.test(a.value)) return a.dynamic;
      checkAssignment(a.value);
    }
    return false;
  }
  if (name === 'alias') return values.some((v) => v.includes('='));
  if (name === 'hash') return values.some((v) => /^-[a-z]*p/.test(v));
  if (name === 'enable') return values.length > 0;
  if (name === 'shopt') return values.includes('expand_aliases');
  return false;
}

function encoder(name: string, args: readonly ShellWord[], out: ResolvedCommand): void {
  note(out, 'encoder', `${name} rewrites its input in a form output masking cannot follow`);
  if (name === 'dd') note(out, 'destructive', 'dd of= overwrites the file it writes');
  if (/^(g|m|n)?awk$/.test(name) || name === 'sed') {
    // awk and GNU sed can also run commands and write files (system(), |, getline; e, w).
    const text = args.map((a) => a.value).join(' ');
    if (
      /system|getline|\||>|@load|@include|-f|--file|-i|--include|-l|--load|\be\b|\bw\b|\bW\b/.test(text) ||
      args.some((a) => a.dynamic)
    ) {
      note(out, 'shell', `${name} here may run commands or write files`);
    }
  }
  for (const a of args) {
    if (a.dynamic) continue;
    if (name === 'dd' && a.value.startsWith('if=')) out.reads.push({ ...a, value: a.value.slice(3) });
    else if (!a.value.startsWith('-') && !a.value.includes('=')) out.guesses.push(a);
  }
}

function transfer(name: string, args: readonly ShellWord[], out: ResolvedCommand): void {
  const values = args.map((a) => a.value);
  const server = values.find((v) => /^-[a-zA-Z]*[tf]/.test(v));
  if (name === 'scp' && server) {
    note(out, 'transfer', `scp ${server} is the server side of an scp file transfer`);
  } else if (name === 'rsync' && values.includes('--server')) {
    note(out, 'transfer', 'rsync --server is the server side of an rsync file transfer');
  } else {
    note(out, 'transfer', `${name} transfers files or opens network connections`);
  }
  if (name === 'rsync' && values.some((v) => /^--(delete|remove-source-files)/.test(v))) {
    note(out, 'destructive', 'rsync --delete removes files');
  }
}

function vetted(name: string, spec: VettedSpec, args: readonly ShellWord[], out: ResolvedCommand): void {
  out.keepsLines = spec.keepsLines === true;
  out.selectsByContent = spec.selectsByContent === true;
  if (spec.anyOption) {
    const operands = args.filter((a) => !a.value.startsWith('-'));
    if (spec.maxOperands !== undefined && operands.length > spec.maxOperands) {
      unvetted(out, `${name} with operands changes the host`);
    }
    return;
  }
  const parsed = parseOptions(args, spec.options);
  for (const u of parsed.unknown) {
    unvetted(
      out,
      isComputed(u)
        ? `${name} ${u}: a computed word, which may turn into options when the line runs`
        : `${name} ${u} is not an option the allowlist knows`,
    );
  }
  for (const o of parsed.options) {
    const refused = spec.refused?.[o.name];
    if (refused) note(out, refused.feature, refused.why);
    if (spec.fileOptions?.includes(o.name) && o.value) out.reads.push(o.value);
    const recursive =
      o.name === '-d' || o.name === '--directories' ? o.value?.value === 'recurse' || o.value?.dynamic : true;
    if (spec.readsUnnamed?.includes(o.name) && recursive)
      out.unnamedReads = `${name} ${o.name} reads files the line does not name`;
  }
  if (out.features.has('encoder')) out.keepsLines = false;
  out.summarises =
    name === 'wc' ||
    (name === 'grep' &&
      has(
        parsed,
        '-c',
        '-l',
        '-L',
        '-q',
        '--count',
        '--files-with-matches',
        '--files-without-match',
        '--quiet',
        '--silent',
      ));
  let operands = [...parsed.operands];
  if (spec.operands === 'pattern-then-files' && !has(parsed, '-e', '-f', '--regexp', '--file'))
    operands = operands.slice(1);
  if (spec.maxOperands !== undefined && operands.length > spec.maxOperands) {
    if (name === 'uniq') note(out, 'destructive', 'uniq truncates the file named by its second operand');
    unvetted(out, name === 'uniq' ? 'uniq writes a file' : `${name} with operands changes the host`);
    operands = operands.slice(0, spec.maxOperands);
  }
  if (spec.operands === 'files' || spec.operands === 'pattern-then-files') {
    out.reads.push(...operands.filter((w) => w.value !== '-'));
    // No file operand, or `-`: it reads its standard input (a pipe, a `<` redirection).
    out.readsStdin = operands.length === 0 || operands.some((w) => w.value === '-');
  }
}

function applyRedirects(redirects: readonly Redirect[], r: ResolvedCommand): void {
  for (const { op, target } of redirects) {
    const path = target.value;
    const fd = !target.dynamic && /^(\d+|-)$/.test(path);
    if (op === '<<' || op === '<<-' || op === '<<<' || ((op === '<&' || op === '>&') && fd)) continue;
    if (op === '<' || op === '<>' || op === '<&') r.reads.push(target);
    if (op === '<' || op === '<&') continue;
    if (!target.dynamic && QUIET_TARGETS.test(path)) continue;
    if (!target.dynamic && /^\/dev\/(tcp|udp)\//.test(path)) {
      note(r, 'transfer', `${op} ${path} opens a network connection`);
      continue;
    }
    if (op === '>>' || op === '&>>' || op === '<>') {
      unvetted(r, `${op} writes to a file`);
      continue;
    }
    note(r, 'destructive', `${op} truncates the file it writes to`);
  }
}
