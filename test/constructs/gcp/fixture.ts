/** A minimal stack with a network, a Cloud SQL instance and a gateway, for construct tests. */
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import { TerraformStack, Testing } from 'cdktf';
import {
  GcpPeer,
  PostgresTarget,
  WardenGcpGateway,
  type WardenGcpGatewayProps,
} from '../../../constructs/src/gcp';

export interface Fixture {
  readonly stack: TerraformStack;
  readonly gateway: WardenGcpGateway;
  readonly db: SqlDatabaseInstance;
  readonly network: ComputeNetwork;
  /** Synthesized JSON, parsed (Testing.synth strips the `//` metadata). */
  json(): Record<string, Record<string, Record<string, Record<string, unknown>>>>;
  synth(): string;
}

export function fixture(overrides: Partial<WardenGcpGatewayProps> = {}, withDb = true): Fixture {
  const stack = new TerraformStack(Testing.app(), 'test');
  new GoogleProvider(stack, 'google', { project: 'p1', region: 'europe-west3' });
  const network = new ComputeNetwork(stack, 'vpc', { name: 'vpc', autoCreateSubnetworks: false });
  const subnet = new ComputeSubnetwork(stack, 'subnet', {
    name: 'subnet',
    network: network.id,
    region: 'europe-west3',
    ipCidrRange: '10.10.0.0/24',
    privateIpGoogleAccess: true,
  });
  const gateway = new WardenGcpGateway(stack, 'gw', {
    project: 'p1',
    region: 'europe-west3',
    network,
    subnetwork: subnet,
    allowFrom: [GcpPeer.ipv4('10.10.0.0/24')],
    identity: {
      issuers: [{ issuer: 'https://issuer.example.org', audiences: ['warden'] }],
      agentGroups: ['agents'],
      approverGroups: ['approvers'],
    },
    ...overrides,
  });
  const db = new SqlDatabaseInstance(stack, 'db', {
    name: 'ehr',
    databaseVersion: 'POSTGRES_16',
    region: 'europe-west3',
    settings: {
      tier: 'db-custom-1-3840',
      ipConfiguration: { ipv4Enabled: false, privateNetwork: network.id, sslMode: 'ENCRYPTED_ONLY' },
    },
  });
  if (withDb) {
    gateway.addPostgres('ehr', {
      target: PostgresTarget.fromInstance(db),
      databaseName: 'ehr',
      secret: gateway.addSecret('ehr-password'),
      phi: true,
      // A PHI database must classify columns (Warden-GatewayPhiConnectionsMasked).
      classification: { 'public.patients.ssn': 'SSN' },
    });
  }
  const synth = () => Testing.synth(stack);
  return { stack, gateway, db, network, synth, json: () => JSON.parse(synth()) };
}

/** Resources of one type, as a list of bodies. */
export function resourcesOf(json: ReturnType<Fixture['json']>, type: string): Record<string, unknown>[] {
  return Object.values(json.resource?.[type] ?? {});
}
