import type { PostgresConnectionConfig } from '../config/connections';
import { cachedSqlInspector } from '../inspect/sql/cache';
import type { PostgresSessionHooks } from '../protocols/postgres/hooks';
import { hookLog } from './hook-log';
import { postgresMasking } from './postgres-masking';
import type { GatewayServices } from './services';

/**
 * The Postgres adapter's view of the gateway: identity, access, inspection, policy and audit,
 * each delegated to the protocol-neutral service that owns it.
 */
export function postgresHooks(services: GatewayServices): PostgresSessionHooks {
  const connections = new Map(
    services.config.connections
      .filter((c): c is PostgresConnectionConfig => c.kind === 'postgres')
      .map((c) => [c.name, c]),
  );
  return {
    authenticate: (token) => services.authenticator.authenticate(token),
    authorize(principal, connection) {
      const result = services.access.check(principal, connection);
      return result.allowed
        ? { allowed: true, expiresAt: result.expiresAt, revoked: result.revoked }
        : { allowed: false, reason: result.reason };
    },
    resolveConnection: (name) => connections.get(name),
    resolveSecret: (ref) => services.secrets.resolve(ref),
    inspect: cachedSqlInspector(),
    decide: (principal, connection, facts) => services.policy.decide(principal, connection, facts),
    awaitApproval: services.approvals && ((request) => services.approvals!.awaitApproval(request)),
    masking: postgresMasking(services),
    opened: (info) => services.liveSessions.open('postgres', info),
    async audit(input) {
      const event = {
        type: input.type,
        principal: input.principal ?? null,
        connection: input.connection,
        session: input.session,
        body: input.body as Record<string, unknown>,
      };
      const { audit } = services;
      await (input.deferred && audit.appendDeferred ? audit.appendDeferred(event) : audit.append(event));
    },
    log: hookLog(services.logger),
  };
}
