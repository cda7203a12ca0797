import { type ParseArgsConfig, parseArgs } from 'node:util';
import { WardenError } from '../errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** One `warden` subcommand: its usage text, its flags and what it does. Exit status is the result. */
export interface Command {
  /** Words after `warden`, e.g. ['audit', 'verify']. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Usage line(s) and a description of every flag, shown by --help. */
  readonly help: string;
  readonly options: OptionSpec;
  /** How many positional arguments the command takes. */
  readonly positionals: { readonly min: number; readonly max: number; readonly names: string };
  run(args: ParsedCommand, io: CommandIO): Promise<number>;
}

export interface ParsedCommand {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: readonly string[];
}

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** A mistake in how the command was called: reported with usage and exit status 2. */
export class UsageError extends WardenError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

export function parseCommandArgs(cmd: Command, argv: readonly string[]): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // node:util messages are precise ("Unknown option '--x'"); keep them, drop the stack.
    throw new UsageError((err as Error).message.split('. To specify a positional')[0] ?? 'invalid arguments');
  }
  const { min, max, names } = cmd.positionals;
  if (!parsed.values.help && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    throw new UsageError(
      max === 0
        ? `unexpected argument "${parsed.positionals[0]}"`
        : `expected ${names}, got ${parsed.positionals.length === 0 ? 'nothing' : parsed.positionals.map((p) => `"${p}"`).join(' ')}`,
    );
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

export function requireString(args: ParsedCommand, flag: string): string {
  const v = args.values[flag];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${flag} is required`);
  return v;
}

export function optionalString(args: ParsedCommand, flag: string): string | undefined {
  const v = args.values[flag];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A secret named by a flag: the flag gives an environment variable's name, never the secret, so it
 * stays out of the process list and shell history.
 */
export function secretFromEnv(args: ParsedCommand, io: CommandIO, flag: string, fallback?: string): string {
  const name = optionalString(args, flag) ?? fallback;
  if (name === undefined || name === '') throw new UsageError(`--${flag} is required`);
  const value = io.env[name];
  if (!value) throw new UsageError(`environment variable ${name} (from --${flag}) is not set`);
  return value;
}
