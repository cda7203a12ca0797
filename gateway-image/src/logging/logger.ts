import pino, { type Logger } from 'pino';
import { createCloudLogger } from './cloud-logging';

export type { Logger } from 'pino';

/**
 * The operator's log: JSON lines on stderr (stdout is kept for command output such as
 * `warden dev`'s JSON line). WARDEN_LOG_FORMAT=cloud-logging writes Cloud Logging's structured
 * form (severity, labels, trace); WARDEN_LOG_LEVEL sets the level (default info).
 * Never log PHI, secrets or tokens: callers pass codes and identifiers, not values.
 */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.WARDEN_LOG_LEVEL ?? 'info';
  const destination = pino.destination({ fd: 2, sync: false });
  if (env.WARDEN_LOG_FORMAT === 'cloud-logging') {
    return createCloudLogger(
      { projectId: env.GOOGLE_CLOUD_PROJECT, level, labels: { 'warden.dev/gateway': 'warden' } },
      destination,
    );
  }
  return pino({ level, base: { service: 'warden' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
