import { startAdminServer } from '../admin/server';
import type { WardenConfig } from '../config/schema';
import { WardenError } from '../errors';
import { startPostgresListener } from '../protocols/postgres/listener';
import { postgresHooks } from './postgres-hooks';
import { createGatewayServices, type GatewayServices, type ServiceOptions } from './services';

/** A gateway process: its services and its listeners, with the addresses they actually bound. */
export interface RunningGateway {
  readonly services: GatewayServices;
  readonly adminUrl: string;
  readonly postgres?: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

export async function startGateway(config: WardenConfig, opts: ServiceOptions = {}): Promise<RunningGateway> {
  const services = await createGatewayServices(config, opts);
  const closers: (() => Promise<void>)[] = [() => services.close()];
  try {
    const admin = config.listeners.admin;
    if (!services.sessions) {
      throw new WardenError(
        'ERR_CONFIG_INVALID',
        'identity.sessionTokens is required to serve the admin API',
      );
    }
    const adminTls = admin.tls && {
      cert: await services.secrets.resolve(admin.tls.certificate),
      key: await services.secrets.resolve(admin.tls.key),
    };
    const adminServer = await startAdminServer({
      host: admin.host,
      port: admin.port,
      tls: adminTls,
      oidc: services.oidc,
      sessions: services.sessions,
      authenticator: services.authenticator,
      adminGroups: config.identity.sessionTokens?.adminGroups,
    });
    closers.unshift(() => adminServer.close());

    let postgres: RunningGateway['postgres'];
    const pg = config.listeners.postgres;
    if (pg) {
      const listener = await startPostgresListener({
        host: pg.host,
        port: pg.port,
        tls: {
          cert: await services.secrets.resolve(pg.tls.certificate),
          key: await services.secrets.resolve(pg.tls.key),
        },
        allowPlaintextPassword: pg.allowPlaintextPassword,
        hooks: postgresHooks(services),
      });
      closers.unshift(() => listener.close());
      postgres = { host: listener.address.address, port: listener.address.port };
    }
    return {
      services,
      adminUrl: adminServer.url,
      postgres,
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers).catch(() => undefined);
    throw err;
  }
}

async function closeAll(closers: readonly (() => Promise<void>)[]): Promise<void> {
  // Listeners first (stop taking work), services (audit) last so every event is flushed.
  for (const close of closers) await close();
}
