import { configJsonSchema } from '../../config/json-schema';
import { loadConfigFile } from '../../config/load';
import type { Command } from '../command';

export const configCheck: Command = {
  path: ['config', 'check'],
  summary: 'Validate a gateway config file and report every problem',
  help: `Usage: warden config check FILE

Validates FILE against the Warden config schema (the same check the constructs run at synth time
and the gateway runs at start). Prints every problem with its path; exit status 1 if any.`,
  options: {},
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(args, io) {
    const file = args.positionals[0]!;
    const cfg = await loadConfigFile(file);
    io.stdout.write(
      `${file}: valid (${cfg.connections.length} connection${cfg.connections.length === 1 ? '' : 's'}, ` +
        `${cfg.policy.rules.length} policy rule${cfg.policy.rules.length === 1 ? '' : 's'}, default ${cfg.policy.default})\n`,
    );
    return 0;
  },
};

export const configSchema: Command = {
  path: ['config', 'schema'],
  summary: 'Print the config JSON Schema (for editors and CI)',
  help: `Usage: warden config schema

Prints the JSON Schema (draft 2020-12) of the gateway config on stdout. Every default is in it.`,
  options: {},
  positionals: { min: 0, max: 0, names: '' },
  async run(_args, io) {
    io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  },
};
