import { loadConfigFile, validateConfig } from '../../config/load';
import { ConfigError } from '../../errors';
import { runGateway } from '../../gateway/cluster';
import { type Command, optionalString, UsageError } from '../command';
import { stopSignal, stopWithin } from '../stop-signals';

/** Sessions get FATAL 57P01 and the audit log is flushed within this; then the process ends regardless. */
const STOP_DEADLINE_MS = 20_000;

export const gatewayCommand: Command = {
  path: ['gateway'],
  summary: 'Run the gateway',
  help: `Usage: warden gateway (--config FILE | --config-env VAR)

Runs the gateway with the given configuration until SIGINT, SIGTERM or SIGHUP (a second signal, or
20 s, forces the stop). The config is validated
first (as \`warden config check\` does); an invalid config exits with status 1 before anything
listens. Logs are JSON lines on stderr.

  --config FILE      the config file (JSON)
  --config-env VAR   read the config JSON from environment variable VAR (containers)`,
  options: { config: { type: 'string' }, 'config-env': { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const file = optionalString(args, 'config');
    const envName = optionalString(args, 'config-env');
    if ((file === undefined) === (envName === undefined))
      throw new UsageError('give either --config FILE or --config-env VAR');
    const config = file !== undefined ? await loadConfigFile(file) : configFromEnv(io.env, envName!);
    const gateway = await runGateway(config);
    if (gateway.role === 'worker') {
      await gateway.done;
      await gateway.close();
      return 0;
    }
    const stopped = stopSignal();
    const log = (msg: string, extra: Record<string, unknown> = {}) =>
      io.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...extra })}\n`,
      );
    log('gateway ready', {
      admin: gateway.adminUrl,
      postgres: gateway.postgres,
      ssh: gateway.ssh,
      http: gateway.http,
      kubernetes: gateway.kubernetes,
      role: gateway.role,
    });
    log('gateway stopping', { signal: await stopped });
    if ((await stopWithin(() => gateway.close(), STOP_DEADLINE_MS)) === 'stopped') return 0;
    log('gateway stop forced', { afterMs: STOP_DEADLINE_MS });
    return 1;
  },
};

function configFromEnv(env: NodeJS.ProcessEnv, name: string) {
  const text = env[name];
  if (!text) throw new UsageError(`environment variable ${name} (from --config-env) is not set`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${name} does not hold valid JSON: ${(err as Error).message}`);
  }
  return validateConfig(raw, `config from ${name}`);
}
