/**
 * The example stack: a VPC with one subnet, a Cloud SQL for PostgreSQL database on private IP
 * holding PHI, and the Warden gateway as the only path to it, for an agent group and an approver
 * group. Copy it and change the project, the issuer and the groups.
 */
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { ServiceNetworkingConnection } from '@cdktf/provider-google/lib/service-networking-connection';
import { SqlDatabase } from '@cdktf/provider-google/lib/sql-database';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import { SqlUser } from '@cdktf/provider-google/lib/sql-user';
import {
  acknowledge,
  addComplianceChecks,
  GcpPeer,
  PostgresTarget,
  WardenGcpGateway,
} from '@warden/constructs/gcp';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';

export interface ExampleProps {
  readonly project: string;
  readonly region: string;
  /**
   * Where the HIPAA report is written at synth.
   * @default - cdktf.out/stacks/<stack>/warden-report
   */
  readonly reportDir?: string;
}

export class WardenGcpExample extends TerraformStack {
  readonly gateway: WardenGcpGateway;
  readonly database: SqlDatabaseInstance;

  constructor(scope: Construct, id: string, props: ExampleProps) {
    super(scope, id);
    const { project, region } = props;
    new GoogleProvider(this, 'google', { project, region });

    const network = new ComputeNetwork(this, 'vpc', { name: 'warden-example', autoCreateSubnetworks: false });
    const subnet = new ComputeSubnetwork(this, 'subnet', {
      name: 'warden-example',
      region,
      network: network.id,
      ipCidrRange: '10.10.0.0/24',
      // The gateway VMs have no external IP; they reach Secret Manager, GCS and Logging this way.
      privateIpGoogleAccess: true,
    });
    // Private services access: Cloud SQL gets its private IP from this range.
    const psaRange = new ComputeGlobalAddress(this, 'psa-range', {
      name: 'warden-example-psa',
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      address: '10.60.0.0',
      prefixLength: 16,
      network: network.id,
    });
    const psa = new ServiceNetworkingConnection(this, 'psa', {
      network: network.id,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: [psaRange.name],
    });

    this.database = new SqlDatabaseInstance(this, 'ehr-db', {
      name: 'warden-example-ehr',
      region,
      databaseVersion: 'POSTGRES_16',
      deletionProtection: true,
      settings: {
        tier: 'db-custom-2-7680',
        ipConfiguration: { ipv4Enabled: false, privateNetwork: network.id, sslMode: 'ENCRYPTED_ONLY' },
        backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
        databaseFlags: [{ name: 'log_connections', value: 'on' }],
      },
      dependsOn: [psa],
    });
    const ehr = new SqlDatabase(this, 'ehr', { name: 'ehr', instance: this.database.name });
    // The password is set out of band (see README) so it never enters Terraform state.
    new SqlUser(this, 'warden-user', { name: 'warden', instance: this.database.name });

    this.gateway = new WardenGcpGateway(this, 'gateway', {
      project,
      region,
      network,
      subnetwork: subnet,
      allowFrom: [GcpPeer.ipv4('10.10.0.0/24')],
      identity: {
        issuers: [{ issuer: 'https://login.example-hospital.org', audiences: ['warden'] }],
        agentGroups: ['ai-agents'],
        approverGroups: ['phi-approvers'],
        adminGroups: ['warden-admins'],
      },
    });
    const password = this.gateway.addSecret('ehr-password');
    // The instance's CA certificate is public; it lives in Secret Manager because the gateway
    // config takes every trust anchor as a secret reference.
    const ca = this.gateway.addSecret('ehr-ca');
    new SecretManagerSecretVersion(this, 'ehr-ca-pem', {
      secret: ca.id,
      secretData: this.database.serverCaCert.get(0).cert,
    });
    this.gateway.addPostgres('ehr', {
      target: PostgresTarget.fromInstance(this.database),
      databaseName: ehr.name,
      secret: password,
      caCertificate: ca,
      // Cloud SQL's internal CA names the server "<project>:<instance>", not by IP.
      serverName: `${project}:${this.database.name}`,
      phi: true,
      classification: {
        'public.patients.ssn': 'SSN',
        'public.patients.mrn': 'MRN',
        'public.patients.date_of_birth': 'DOB',
        'public.patients.full_name': 'NAME',
        'public.notes.*': 'NOTE',
      },
    });

    // Locking is irreversible; a copied example should not lock a bucket on its first apply.
    acknowledge(
      this.gateway.storage.bucket,
      'Warden-StorageBucketRetentionLocked',
      'Example deployment: set lockRetention: true once the bucket holds production audit data.',
    );

    new TerraformOutput(this, 'gateway-address', { value: this.gateway.address });
    new TerraformOutput(this, 'build-and-push', { value: this.gateway.buildAndPushCommand });
    addComplianceChecks(this, {
      ...(props.reportDir ? { reportDir: props.reportDir } : {}),
      title: 'Warden on GCP — example app',
    });
  }
}
