import type { PostgresConnectionConfig } from '../config/connections';
import type { Principal } from '../identity/principal';
import { SharedCatalog } from '../masking/catalog';
import { ColumnMasker } from '../masking/column-masker';
import { createDetectors } from '../masking/detectors';
import { resolveMaskingPolicy } from '../masking/profile';
import { createTextMasker } from '../masking/text-masker';
import type { SessionMasking } from '../protocols/postgres/hooks';
import { loadUpstreamCatalog } from '../protocols/postgres/session/catalog-source';
import type { GatewayServices } from './services';
import { loadTokenKeyring } from './token-keys';

/**
 * The Postgres `masking` hook: the principal's masking profile, the connection's classification,
 * its catalog (one per connection, shared by its sessions) and the detectors. Connections that
 * hold no PHI and classify nothing are relayed unmasked.
 */
export function postgresMasking(
  services: GatewayServices,
): (principal: Principal, connection: PostgresConnectionConfig) => Promise<SessionMasking | undefined> {
  const { masking } = services.config;
  const detectors = masking.detectors.enabled
    ? createDetectors({ mrnPatterns: masking.detectors.mrnPatterns })
    : [];
  const catalogs = new Map<string, SharedCatalog>();
  const resolveSecret = (ref: string) => services.secrets.resolve(ref);

  return async (principal, connection) => {
    if (!connection.phi && Object.keys(connection.classification).length === 0) return undefined;
    let catalog = catalogs.get(connection.name);
    if (!catalog) {
      catalog = new SharedCatalog(() => loadUpstreamCatalog(connection, resolveSecret));
      catalogs.set(connection.name, catalog);
    }
    await catalog.ready();
    const policy = resolveMaskingPolicy(masking, principal);
    // Resolved per session, so a rotated key applies to new sessions without a restart.
    const tokens = await loadTokenKeyring(masking, resolveSecret);
    const textMasker = createTextMasker({ policy, detectors, ...(tokens ? { tokens } : {}) });
    const columns = new ColumnMasker({
      classification: connection.classification,
      policy,
      catalog,
      phi: connection.phi,
      textMasker,
      ...(tokens ? { tokens } : {}),
    });
    return { columns, profile: policy.profile };
  };
}
