/**
 * SSH inspection: a command line (exec), an interactive shell or a subsystem request → ShellFacts.
 * The command line is scanned, never run; programs hidden behind wrappers (`sudo rm`, `xargs rm`,
 * `sh -c 'rm …'`, `find -exec rm`) are reported too, so a rule naming `rm` sees them.
 */
import type { ShellFacts } from '../facts';
import {
  type ScanResult,
  ShellSyntaxError,
  type ShellWord,
  type SimpleCommand,
  scanCommandLine,
} from './scanner';

export {
  type ScanResult,
  type ShellFeature,
  ShellSyntaxError,
  type ShellWord,
  type SimpleCommand,
} from './scanner';

/** Longest command line inspected; longer ones are refused rather than scanned. @default 64 KiB */
export const MAX_COMMAND_LINE_CHARS = 64 * 1024;
/** How deep `sh -c` / `eval` nesting is followed before the command is refused. */
const MAX_DEPTH = 8;

/**
 * Programs that run another program given as an argument. For each: options that take a value
 * (so the value is not mistaken for the program), and how many leading operands are not the program.
 */
const WRAPPERS: Record<string, { readonly withValue?: string; readonly skip?: number }> = {
  sudo: { withValue: 'ugCDhprtUT' },
  doas: { withValue: 'uC' },
  env: { withValue: 'uCS' },
  nice: { withValue: 'n' },
  ionice: { withValue: 'cnp' },
  nohup: {},
  setsid: {},
  stdbuf: { withValue: 'ioe' },
  time: { withValue: 'fo' },
  timeout: { withValue: 'sk', skip: 1 },
  xargs: { withValue: 'IiLlnPdEsa' },
  command: {},
  builtin: {},
  exec: { withValue: 'a' },
  chroot: { skip: 1 },
  watch: { withValue: 'nd' },
  flock: { withValue: 'wEc', skip: 1 },
};
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'busybox']);
const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/** Scans a command line; throws ShellSyntaxError when it cannot be inspected. */
export function scanShell(commandLine: string): ScanResult {
  if (commandLine.length > MAX_COMMAND_LINE_CHARS) throw new ShellSyntaxError('command line too long');
  if (commandLine.includes('\0')) throw new ShellSyntaxError('NUL in command line');
  const result = scanCommandLine(commandLine);
  // Wrappers and `sh -c` may reveal more commands; follow them until nothing new appears.
  for (let i = 0; i < result.commands.length; i++) {
    const command = result.commands[i]!;
    if (command.depth > MAX_DEPTH) throw new ShellSyntaxError('command nesting too deep');
    unwrap(command, result);
  }
  return result;
}

/** Facts for an exec request. */
export function inspectExec(commandLine: string): ShellFacts {
  const scan = scanShell(commandLine);
  const programs = [...new Set(scan.commands.map((c) => c.words[0]!.value))];
  return {
    protocol: 'ssh',
    mode: 'exec',
    programs,
    commandLine,
    features: [...scan.features].sort(),
  };
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

function unwrap(command: SimpleCommand, result: ScanResult): void {
  const words = command.words;
  const name = basename(words[0]!.value);
  const add = (rest: readonly ShellWord[]) => {
    if (rest.length > 0) result.commands.push({ words: rest, depth: command.depth + 1 });
  };
  if (SHELLS.has(name)) {
    const c = words.findIndex((w, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(w.value));
    if (c < 0) return;
    const script = words[c + 1];
    if (!script || script.dynamic) throw new ShellSyntaxError(`${name} -c with a computed script`);
    scanCommandLine(script.value, command.depth + 1, result);
    return;
  }
  if (name === 'eval') {
    if (words.slice(1).some((w) => w.dynamic)) throw new ShellSyntaxError('eval of a computed string');
    scanCommandLine(
      words
        .slice(1)
        .map((w) => w.value)
        .join(' '),
      command.depth + 1,
      result,
    );
    return;
  }
  if (name === 'find') {
    for (let i = 1; i < words.length; i++) {
      if (FIND_EXEC.has(words[i]!.value)) {
        const end = words.findIndex((w, j) => j > i && (w.value === ';' || w.value === '+'));
        add(words.slice(i + 1, end < 0 ? undefined : end));
      }
    }
    return;
  }
  const wrapper = WRAPPERS[name];
  if (!wrapper) return;
  let i = 1;
  let operands = wrapper.skip ?? 0;
  for (; i < words.length; i++) {
    const v = words[i]!.value;
    if (v === '--') {
      i++;
      break;
    }
    if (v.startsWith('-') && v.length > 1) {
      // `-u root` takes the next word; `-uroot` or `--user=root` carry their value.
      if (v.length === 2 && wrapper.withValue?.includes(v[1]!)) i++;
      continue;
    }
    if (name === 'env' && v.includes('=')) continue;
    if (operands > 0) {
      operands--;
      continue;
    }
    break;
  }
  add(words.slice(i));
}

function basename(program: string): string {
  return program.slice(program.lastIndexOf('/') + 1);
}

/** The `inspect` hook of the SSH adapter: any channel request → facts. */
export function inspectSsh(
  request:
    | { readonly mode: 'exec'; readonly command: string }
    | { readonly mode: 'shell' }
    | { readonly mode: 'subsystem'; readonly name: string },
): ShellFacts {
  if (request.mode === 'exec') return inspectExec(request.command);
  return request.mode === 'shell' ? inspectSession('shell') : inspectSession('subsystem', request.name);
}
