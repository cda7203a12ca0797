import { startAdminServer } from '../admin/server';
import type { WardenConfig } from '../config/schema';
import { WardenError } from '../errors';
import { type Operations, startOperations } from '../metrics';
import { startPostgresListener } from '../protocols/postgres/listener';
import { startHttp } from './http-hooks';
import { startKubernetes } from './kubernetes-hooks';
import { postgresHooks } from './postgres-hooks';
import { createGatewayServices, type GatewayServices, type ServiceOptions } from './services';
import { startSsh } from './ssh-hooks';

export interface ListenerAddress {
  readonly host: string;
  readonly port: number;
}

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

type Closer = () => Promise<void>;

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

async function startAdmin(
  services: GatewayServices,
  operations: Operations,
  closers: Closer[],
): Promise<string> {
  const { config } = services;
  const admin = config.listeners.admin;
  if (!services.sessions) {
    throw new WardenError('ERR_CONFIG_INVALID', 'identity.sessionTokens is required to serve the admin API');
  }
  const tls = admin.tls && {
    cert: await services.secrets.resolve(admin.tls.certificate),
    key: await services.secrets.resolve(admin.tls.key),
  };
  const server = await startAdminServer({
    host: admin.host,
    port: admin.port,
    tls,
    oidc: services.oidc,
    sessions: services.sessions,
    authenticator: services.authenticator,
    adminGroups: config.identity.sessionTokens?.adminGroups,
    guardLogin: (address, verify) => services.loginGuard.authenticate(address, verify),
    configure: (router) => {
      operations.configureAdminRoutes(router);
      services.approvals?.configureAdminRoutes(router);
    },
  });
  closers.unshift(() => server.close());
  return server.url;
}

async function startPostgres(
  services: GatewayServices,
  closers: Closer[],
): Promise<ListenerAddress | undefined> {
  const pg = services.config.listeners.postgres;
  if (!pg) return undefined;
  const listener = await startPostgresListener({
    host: pg.host,
    port: pg.port,
    tls: {
      cert: await services.secrets.resolve(pg.tls.certificate),
      key: await services.secrets.resolve(pg.tls.key),
    },
    allowPlaintextPassword: pg.allowPlaintextPassword,
    startupTimeoutMs: pg.startupTimeoutMs,
    hooks: postgresHooks(services),
  });
  closers.unshift(() => listener.close());
  return { host: listener.address.address, port: listener.address.port };
}

async function closeAll(closers: readonly Closer[]): Promise<void> {
  // Listeners first (stop taking work), services (audit) last so every event is flushed.
  for (const close of closers) await close();
}
