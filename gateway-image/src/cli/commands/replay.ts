import { loadConfigFile } from '../../config/load';
import { ConfigError } from '../../errors';
import { formatRecording, readRecording } from '../../recording/replay';
import { type Command, optionalString, UsageError } from '../command';

export const replayCommand: Command = {
  path: ['replay'],
  summary: 'Print a recorded session: statements, decisions, results',
  help: `Usage: warden replay SESSION_ID (--dir DIR | --config FILE) [--rows N] [--json]

Prints the recording of one gateway session readably: time offsets from the session start, each
statement (normalized, literals replaced) with the policy decision and rule, row counts and the
first recorded rows of each result as a table, errors with their SQLSTATE, and how the session
ended. SESSION_ID is the gateway's session id (as in the audit log); a unique prefix is enough.
Exit status 1 when there is no such recording.

  --dir DIR        the recordings directory
  --config FILE    read the recordings directory from this gateway config (recording.dir)
  --rows N         rows shown per result (default 10; the file keeps up to recording.maxResultRows)
  --json           print the recording's JSON lines as they are stored`,
  options: {
    dir: { type: 'string' },
    config: { type: 'string' },
    rows: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, names: 'SESSION_ID' },
  async run(args, io) {
    const dir = await recordingsDir(optionalString(args, 'dir'), optionalString(args, 'config'));
    const rowsFlag = optionalString(args, 'rows');
    const rows = rowsFlag === undefined ? 10 : Number(rowsFlag);
    if (!Number.isInteger(rows) || rows < 0)
      throw new UsageError(`--rows must be a whole number, got "${rowsFlag}"`);
    const lines = await readRecording(dir, args.positionals[0]!);
    io.stdout.write(
      args.values.json
        ? lines.map((l) => `${JSON.stringify(l)}\n`).join('')
        : formatRecording(lines, { rows }),
    );
    return 0;
  },
};

async function recordingsDir(dir: string | undefined, configFile: string | undefined): Promise<string> {
  if (dir !== undefined && configFile !== undefined)
    throw new UsageError('give either --dir DIR or --config FILE, not both');
  if (dir !== undefined) return dir;
  if (configFile === undefined) throw new UsageError('give --dir DIR or --config FILE');
  const config = await loadConfigFile(configFile);
  if (!config.recording)
    throw new ConfigError(`${configFile} has no recording section: sessions are not recorded`);
  return config.recording.dir;
}
