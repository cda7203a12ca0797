/**
 * The composition root of one gateway process: the services built from the config
 * (services.ts), then the listeners this process serves (listeners.ts) wired to them, metrics
 * subscribed before any listener opens. Everything else receives its dependencies from here.
 */
import type { WardenConfig } from '../config/schema';
import { startOperations } from '../metrics';
import {
  type Closer,
  type ListenerAddress,
  startAdmin,
  startHttp,
  startKubernetes,
  startPostgres,
  startSsh,
} from './listeners';
import { createGatewayServices, type GatewayServices, type ServiceOptions } from './services';

/** A gateway process: its services and its listeners, with the addresses they actually bound. */
export interface RunningGateway {
  readonly services: GatewayServices;
  /** Absent in worker processes: the primary serves the admin API. */
  readonly adminUrl?: string;
  readonly postgres?: ListenerAddress;
  readonly ssh?: ListenerAddress;
  readonly http?: ListenerAddress;
  readonly kubernetes?: ListenerAddress;
  close(): Promise<void>;
}

export interface StartOptions extends ServiceOptions {
  /** Which listeners this process serves. @default every listener in the config */
  readonly serve?: { readonly admin?: boolean; readonly data?: boolean };
}

export async function startGateway(config: WardenConfig, opts: StartOptions = {}): Promise<RunningGateway> {
  const services = await createGatewayServices(config, opts);
  const closers: Closer[] = [() => services.close()];
  try {
    const serveAdmin = opts.serve?.admin ?? true;
    const serveData = opts.serve?.data ?? true;
    // Metrics observe what the services and listeners publish: subscribed before any listener opens.
    const operations = startOperations(services, serveData ? (serveAdmin ? 'single' : 'worker') : 'primary');
    closers.unshift(() => operations.close());
    const adminUrl = serveAdmin ? await startAdmin(services, operations, closers) : undefined;
    const postgres = serveData ? await startPostgres(services, closers) : undefined;
    const ssh = serveData ? await startSsh(services, closers) : undefined;
    const http = serveData ? await startHttp(services, closers) : undefined;
    const kubernetes = serveData ? await startKubernetes(services, closers) : undefined;
    return { services, adminUrl, postgres, ssh, http, kubernetes, close: () => closeAll(closers) };
  } catch (err) {
    await closeAll(closers).catch(() => undefined);
    throw err;
  }
}

async function closeAll(closers: readonly Closer[]): Promise<void> {
  // Listeners first (stop taking work), services (audit) last so every event is flushed.
  for (const close of closers) await close();
}
