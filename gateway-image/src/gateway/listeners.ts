/**
 * Every listener a gateway process can serve, each started from the config with the services it
 * needs and registered with `closers` (listeners close before the services they use). Each
 * returns the address it bound, or undefined when the config has no such listener.
 */
import { startAdminServer } from '../admin/server';
import type { HttpConnectionConfig, KubernetesConnectionConfig } from '../config/connections';
import { WardenError } from '../errors';
import type { Operations } from '../metrics';
import { startHttpListener } from '../protocols/http/listener';
import { startKubernetesListener } from '../protocols/kubernetes/listener';
import { startPostgresListener } from '../protocols/postgres/session/listener';
import { startSshListener } from '../protocols/ssh/listener';
import { httpHooks } from './http-hooks';
import { kubernetesHooks } from './kubernetes-hooks';
import { postgresHooks } from './postgres-hooks';
import type { GatewayServices } from './services';
import { sshHooks } from './ssh-hooks';

export interface ListenerAddress {
  readonly host: string;
  readonly port: number;
}

export type Closer = () => Promise<void>;

/** A listener's certificate and key, resolved from their secret references. */
async function serverTls(
  services: GatewayServices,
  tls: { readonly certificate: string; readonly key: string },
): Promise<{ cert: string; key: string }> {
  return {
    cert: await services.secrets.resolve(tls.certificate),
    key: await services.secrets.resolve(tls.key),
  };
}

/** The admin API and reviewer console (primary or single process only). */
export async function startAdmin(
  services: GatewayServices,
  operations: Operations,
  closers: Closer[],
): Promise<string> {
  const { config } = services;
  const admin = config.listeners.admin;
  if (!services.sessions) {
    throw new WardenError('ERR_CONFIG_INVALID', 'identity.sessionTokens is required to serve the admin API');
  }
  const tls = admin.tls && (await serverTls(services, admin.tls));
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

/** The Postgres listener, when the config has one. */
export async function startPostgres(
  services: GatewayServices,
  closers: Closer[],
): Promise<ListenerAddress | undefined> {
  const pg = services.config.listeners.postgres;
  if (!pg) return undefined;
  const listener = await startPostgresListener({
    host: pg.host,
    port: pg.port,
    tls: await serverTls(services, pg.tls),
    allowPlaintextPassword: pg.allowPlaintextPassword,
    startupTimeoutMs: pg.startupTimeoutMs,
    maxStatementBytes: pg.maxStatementBytes,
    hooks: postgresHooks(services),
  });
  closers.unshift(() => listener.close());
  return { host: listener.address.address, port: listener.address.port };
}

/** The SSH listener, when the config has one. */
export async function startSsh(
  services: GatewayServices,
  closers: Closer[],
): Promise<ListenerAddress | undefined> {
  const ssh = services.config.listeners.ssh;
  if (!ssh) return undefined;
  const listener = await startSshListener({
    host: ssh.host,
    port: ssh.port,
    hostKey: await services.secrets.resolve(ssh.hostKey),
    authTimeoutMs: ssh.authTimeoutMs,
    hooks: await sshHooks(services),
  });
  closers.unshift(() => listener.close());
  return { host: listener.address.address, port: listener.address.port };
}

/** The HTTP listener, when the config has one. */
export async function startHttp(
  services: GatewayServices,
  closers: Closer[],
): Promise<ListenerAddress | undefined> {
  const http = services.config.listeners.http;
  if (!http) return undefined;
  const hooks = await httpHooks(services);
  const listener = await startHttpListener({
    host: http.host,
    port: http.port,
    tls: await serverTls(services, http.tls),
    connections: services.config.connections.filter((c): c is HttpConnectionConfig => c.kind === 'http'),
    headersTimeoutMs: http.headersTimeoutMs,
    requestTimeoutMs: http.requestTimeoutMs,
    hooks,
  });
  // The listener stops first so no exchange is recorded after the recorder has closed.
  closers.unshift(
    () => listener.close(),
    () => hooks.close(),
  );
  return { host: listener.address.address, port: listener.address.port };
}

/** The Kubernetes listener, when the config has one. */
export async function startKubernetes(
  services: GatewayServices,
  closers: Closer[],
): Promise<ListenerAddress | undefined> {
  const listener = services.config.listeners.kubernetes;
  if (!listener) return undefined;
  const started = await startKubernetesListener({
    host: listener.host,
    port: listener.port,
    tls: await serverTls(services, listener.tls),
    connections: services.config.connections.filter(
      (c): c is KubernetesConnectionConfig => c.kind === 'kubernetes',
    ),
    headersTimeoutMs: listener.headersTimeoutMs,
    requestTimeoutMs: listener.requestTimeoutMs,
    hooks: await kubernetesHooks(services),
  });
  closers.unshift(() => started.close());
  return { host: started.address.address, port: started.address.port };
}
