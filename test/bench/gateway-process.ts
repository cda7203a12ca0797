/**
 * The gateway alone in a process of its own, as bin/warden.js and the image run it (tsx's CommonJS
 * hook, not the ESM loader thread the bench runs under; the young-generation size the image's
 * ENTRYPOINT sets, gateway-image/Dockerfile), so its CPU time and memory are its own. A bench forks
 * its own file with `--gateway`; that process calls `serveBenchGateway`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { validateConfig } from '../../gateway-image/src/config/load';
import { startGateway } from '../../gateway-image/src/gateway/start';
import { createLogger } from '../../gateway-image/src/logging/logger';

export interface GatewayProcessOptions {
  /** Environment the config's secret references read. */
  readonly env?: Record<string, string>;
  /** A directory for --cpu-prof when profiling. @default none */
  readonly profileDir?: string;
  /** @default 'error' */
  readonly logLevel?: string;
}

/** Forks `script --gateway` with the config; resolves once the gateway reports its port. */
export function forkBenchGateway(
  script: string,
  config: unknown,
  o: GatewayProcessOptions = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(script, ['--gateway'], {
    execArgv: [
      '--max-semi-space-size=2',
      '--require',
      'tsx/cjs',
      ...(o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : []),
    ],
    env: {
      ...process.env,
      ...o.env,
      WARDEN_BENCH_CONFIG: JSON.stringify(config),
      WARDEN_LOG_LEVEL: o.logLevel ?? 'error',
    },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`gateway exited (${code})`)));
  });
}

/** Asks the gateway process for a figure: 'rss' (peak and current KiB) or 'cpu' (µs used so far). */
export function askBenchGateway<T>(child: ChildProcess, what: 'rss' | 'cpu'): Promise<T> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`gateway exited (${code})`));
    child.once('message', (m) => {
      child.off('exit', exited);
      resolve(m as T);
    });
    child.once('exit', exited);
    child.send(what);
  });
}

/** In the forked process: runs the gateway, reports the listener's port, answers, stops on SIGTERM. */
export async function serveBenchGateway(
  listener: 'postgres' | 'ssh' | 'http',
  o: { readonly admin: boolean },
): Promise<void> {
  const config = validateConfig(JSON.parse(process.env.WARDEN_BENCH_CONFIG!), 'bench');
  const gateway = await startGateway(config, { logger: createLogger(), serve: { admin: o.admin } });
  process.send!({ port: gateway[listener]!.port });
  process.on('message', (m) => {
    if (m === 'rss')
      process.send!({
        maxRssKiB: process.resourceUsage().maxRSS,
        rssNowKiB: process.memoryUsage().rss / 1024,
      });
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!({ cpuUs: user + system });
    }
  });
  process.on('SIGTERM', () => void gateway.close().finally(() => process.exit(0)));
}

/** The entry of a bench file: the gateway process with `--gateway`, else the bench itself. */
export function runBench(main: () => Promise<void>, gateway: () => Promise<void>): void {
  const isGateway = process.argv.includes('--gateway');
  (isGateway ? gateway() : main()).catch((err: unknown) => {
    console.error(err);
    if (isGateway) process.exit(1);
    process.exitCode = 1;
  });
}
