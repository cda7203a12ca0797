import { ConfigError, describeError, WardenError } from '../errors';
import { type Command, type CommandIO, parseCommandArgs, UsageError } from './command';
import { COMMANDS } from './registry';
import { VERSION } from './version';

const USAGE = `Usage: warden <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(22)}${c.summary}`).join('\n')}

Run \`warden <command> --help\` for a command's flags. \`warden --version\` prints the version.`;

/** Runs the `warden` command line; resolves to the exit status (0 ok, 1 failure, 2 usage error). */
export async function main(argv: readonly string[], io: CommandIO = processIO()): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout.write(`warden ${VERSION}\n`);
    return 0;
  }
  const cmd = findCommand(argv);
  const group = cmd ? [] : commandsUnder(argv[0]!);
  if (!cmd && group.length > 0) {
    // A group (`warden approvals`): its commands, as the usage lists them.
    const help = argv.slice(1).some((a) => a === '--help' || a === '-h');
    const list = group.map((c) => `  ${c.path.join(' ').padEnd(22)}${c.summary}`).join('\n');
    const text = `Usage: warden ${argv[0]} <command> [flags]\n\nCommands:\n${list}\n\nRun \`warden <command> --help\` for a command's flags.\n`;
    (help ? io.stdout : io.stderr).write(text);
    return help ? 0 : 2;
  }
  if (!cmd) {
    const words = argv
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ');
    io.stderr.write(`warden: unknown command "${words}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const args = parseCommandArgs(cmd, argv.slice(cmd.path.length));
    if (args.values.help) {
      io.stdout.write(`${cmd.help}\n`);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (err) {
    return reportError(err, cmd, io);
  }
}

function findCommand(argv: readonly string[]): Command | undefined {
  return COMMANDS.find((c) => c.path.every((word, i) => argv[i] === word));
}

/** The commands of a group (`approvals` → approvals list, approvals approve, …). */
function commandsUnder(word: string): Command[] {
  return COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === word);
}

function reportError(err: unknown, cmd: Command, io: CommandIO): number {
  if (err instanceof UsageError) {
    io.stderr.write(`warden ${cmd.path.join(' ')}: ${err.message}\n\n${cmd.help}\n`);
    return 2;
  }
  if (err instanceof ConfigError) {
    io.stderr.write(`warden ${cmd.path.join(' ')}: ${err.message}\n`);
    return 1;
  }
  // Anything else: one line, never a stack; WardenErrors carry a stable code.
  const text = err instanceof WardenError ? describeError(err) : `unexpected error: ${describeError(err)}`;
  io.stderr.write(`warden ${cmd.path.join(' ')}: ${text}\n`);
  return 1;
}

function processIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** How long a finished command's process may wait for open handles to close by themselves. */
const LINGER_MS = 1_000;

/** The process entry: runs the command line and sets the exit status. Used by bin/warden.js and the image bundle. */
export function runCli(argv: readonly string[] = process.argv.slice(2)): void {
  // A reader that stops early (`warden config schema | head`) is not an error: stop writing quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // The command is done: a handle something left open (a keep-alive socket, a timer) must not
      // keep the process running. Unref'd, so a process with nothing left exits at once.
      setTimeout(() => process.exit(code), LINGER_MS).unref();
    },
    (err) => {
      process.stderr.write(`warden: ${describeError(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runCli();
