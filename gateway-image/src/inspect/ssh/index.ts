/**
 * SSH inspection: a command line (exec), an interactive shell or a subsystem request → ShellFacts.
 * The command line is scanned, never run; wrappers are followed to the programs they run
 * (`sudo nice rm`, `xargs rm`, `sh -c 'rm …'`, `find -exec rm`), and every program gets the
 * features the program catalog gives it, so a rule naming `rm` or `destructive` sees them all.
 */
import type { ShellCommandFacts, ShellFacts } from '../facts';
import { checkClassifiedReads } from './classified-reads';
import type { PathMatcher } from './file-paths';
import { type PendingCommand, type ResolvedCommand, resolveCommand } from './resolve';
import { type ScanResult, ShellSyntaxError, scanCommandLine } from './scanner';

export { compilePathPattern, type PathMatcher } from './file-paths';
export {
  type ScanResult,
  type ShellFeature,
  ShellSyntaxError,
  type ShellWord,
  type SimpleCommand,
} from './scanner';

/** Longest command line inspected; longer ones are refused rather than scanned. @default 64 KiB */
export const MAX_COMMAND_LINE_CHARS = 64 * 1024;
/** How deep `sh -c` / `eval` / wrapper nesting is followed before the command is refused. */
const MAX_DEPTH = 8;
/** Most commands one line may resolve to. */
const MAX_COMMANDS = 512;
/** Features that describe the line's shape rather than one program. */
const LINE_FEATURES = new Set(['pipe', 'sequence', 'substitution', 'redirection', 'background']);
/** A guessed operand reported as a file: no blanks or shell syntax, and a dot or slash in it. */
const PATH_LIKE = /^[^\s{}()$;|&<>'"`]*[./][^\s{}()$;|&<>'"`]*$/;

export interface SshInspectOptions {
  /** Whether a path may name a file the connection classifies. @default none is classified */
  readonly classified?: PathMatcher;
}

/** Scans a command line without following wrappers; throws ShellSyntaxError when it cannot be inspected. */
export function scanShell(commandLine: string): ScanResult {
  if (commandLine.length > MAX_COMMAND_LINE_CHARS) throw new ShellSyntaxError('command line too long');
  if (commandLine.includes('\0')) throw new ShellSyntaxError('NUL in command line');
  return scanCommandLine(commandLine);
}

/** Every program the line runs, wrappers and nested command lines followed. */
export function resolveShell(commandLine: string): { scan: ScanResult; commands: ResolvedCommand[] } {
  const scan = scanShell(commandLine);
  const queue = scan.commands as PendingCommand[];
  const commands: ResolvedCommand[] = [];
  const ctx = {
    queue: (c: PendingCommand) => queue.push(c),
    scan: (script: string, parent: PendingCommand) =>
      scanCommandLine(script, parent.depth + 1, scan, parent.captured),
  };
  for (let i = 0; i < queue.length; i++) {
    const command = queue[i]!;
    if (command.depth > MAX_DEPTH) throw new ShellSyntaxError('command nesting too deep');
    if (i >= MAX_COMMANDS) throw new ShellSyntaxError('too many commands in one line');
    commands.push(resolveCommand(command, ctx));
  }
  return { scan, commands };
}

/** Facts for an exec request. */
export function inspectExec(commandLine: string, options: SshInspectOptions = {}): ShellFacts {
  const { scan, commands } = resolveShell(commandLine);
  const classifiedFiles = options.classified ? checkClassifiedReads(commands, options.classified) : [];
  const features = new Set(scan.features);
  for (const c of commands) for (const f of c.features) features.add(f);
  const files = [
    ...new Set(
      commands.flatMap((c) => [
        ...c.reads.filter((w) => !w.dynamic).map((w) => w.value),
        ...c.guesses.map((w) => w.value).filter((v) => PATH_LIKE.test(v)),
      ]),
    ),
  ];
  return {
    protocol: 'ssh',
    mode: 'exec',
    programs: [...new Set(commands.map((c) => c.program))],
    commandLine,
    features: [...features].sort(),
    commands: commands.map(commandFacts),
    ...(files.length > 0 ? { files } : {}),
    ...(classifiedFiles.length > 0 ? { classifiedFiles } : {}),
  };
}

function commandFacts(c: ResolvedCommand): ShellCommandFacts {
  const features = [...c.features].sort();
  return c.notes.size > 0
    ? { program: c.program, features, notes: Object.fromEntries(c.notes) }
    : { program: c.program, features };
}

/** Facts for an interactive shell or a subsystem (sftp, …): nothing to scan. */
export function inspectSession(mode: 'shell' | 'subsystem', subsystem?: string): ShellFacts {
  return {
    protocol: 'ssh',
    mode,
    programs: [],
    features: [],
    ...(subsystem === undefined ? {} : { subsystem }),
  };
}

/** The line-shape features, which every program of a line shares when policy decides it. */
export function isLineFeature(feature: string): boolean {
  return LINE_FEATURES.has(feature);
}

/** The `inspect` hook of the SSH adapter: any channel request → facts. */
export function inspectSsh(
  request:
    | { readonly mode: 'exec'; readonly command: string }
    | { readonly mode: 'shell' }
    | { readonly mode: 'subsystem'; readonly name: string },
  options: SshInspectOptions = {},
): ShellFacts {
  if (request.mode === 'exec') return inspectExec(request.command, options);
  return request.mode === 'shell' ? inspectSession('shell') : inspectSession('subsystem', request.name);
}
