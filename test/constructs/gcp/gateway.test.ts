import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule';
import { ComputeInstanceTemplate } from '@cdktf/provider-google/lib/compute-instance-template';
import { ComputeRegionBackendService } from '@cdktf/provider-google/lib/compute-region-backend-service';
import { ComputeRegionInstanceGroupManager } from '@cdktf/provider-google/lib/compute-region-instance-group-manager';
import { LoggingProjectBucketConfig } from '@cdktf/provider-google/lib/logging-project-bucket-config';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Testing } from 'cdktf';
import { fixture, resourcesOf } from './fixture';

Testing.setupJest();

describe('WardenGcpGateway: identity and access', () => {
  const f = fixture();
  const json = f.json();

  it('holds only log writer and metric writer at project level, never a primitive role', () => {
    const roles = resourcesOf(json, 'google_project_iam_member').map((m) => m.role);
    expect(roles.sort()).toEqual(['roles/logging.logWriter', 'roles/monitoring.metricWriter']);
    const everyRole = Object.keys(json.resource)
      .filter((t) => /_iam_(member|binding)$/.test(t))
      .flatMap((t) => resourcesOf(json, t).map((m) => m.role));
    expect(everyRole).not.toEqual(expect.arrayContaining(['roles/owner']));
    expect(
      everyRole.filter((r) => ['roles/owner', 'roles/editor', 'roles/viewer'].includes(String(r))),
    ).toEqual([]);
  });

  it("reads exactly its own and its connections' secrets", () => {
    const grants = resourcesOf(json, 'google_secret_manager_secret_iam_member');
    const members = new Set(grants.map((g) => g.member));
    expect(members.size).toBe(1);
    expect([...members][0]).toMatch(
      /^serviceAccount:\$\{google_service_account\.gw_service-account_[0-9A-F]+\.email\}$/,
    );
    expect(grants.every((g) => g.role === 'roles/secretmanager.secretAccessor')).toBe(true);
    const secretIds = grants.map((g) => String(g.secret_id)).sort();
    const secrets = Object.keys(json.resource.google_secret_manager_secret ?? {}).map(
      (k) => `\${google_secret_manager_secret.${k}.id}`,
    );
    expect(secretIds).toEqual(secrets.sort());
  });

  it('creates objects in its audit bucket, nothing more', () => {
    expect(f.synth()).toHaveResourceWithProperties(StorageBucketIamMember, {
      role: 'roles/storage.objectCreator',
    });
    expect(resourcesOf(json, 'google_storage_bucket_iam_member')).toHaveLength(1);
  });
});

describe('WardenGcpGateway: compute', () => {
  const f = fixture();
  const synth = f.synth();

  it('runs COS with Shielded VM, OS Login, no serial port, project keys blocked, no external IP', () => {
    expect(synth).toHaveResourceWithProperties(ComputeInstanceTemplate, {
      disk: [
        expect.objectContaining({
          source_image: 'projects/cos-cloud/global/images/family/cos-stable',
          disk_encryption_key: {
            kms_key_self_link: expect.stringContaining('google_kms_crypto_key.gw_keys_disks'),
          },
        }),
      ],
      shielded_instance_config: {
        enable_secure_boot: true,
        enable_vtpm: true,
        enable_integrity_monitoring: true,
      },
      metadata: expect.objectContaining({
        'enable-oslogin': 'TRUE',
        'block-project-ssh-keys': 'TRUE',
        'serial-port-enable': 'FALSE',
      }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform reference, not a JS template
      network_interface: [{ subnetwork: '${google_compute_subnetwork.subnet.id}' }],
    });
    const tpl = resourcesOf(f.json(), 'google_compute_instance_template')[0]!;
    expect((tpl.network_interface as Record<string, unknown>[])[0]).not.toHaveProperty('access_config');
  });

  it('puts the rendered config and the cloud-init unit in metadata', () => {
    const md = resourcesOf(f.json(), 'google_compute_instance_template')[0]!.metadata as Record<
      string,
      string
    >;
    const config = JSON.parse(md['warden-config']!);
    expect(config.connections[0]).toMatchObject({ name: 'ehr', kind: 'postgres', phi: true });
    expect(config.connections[0].upstream.password).toMatch(
      /^gcp-secretmanager:projects\/\$\{.+\}\/secrets\/\$\{.+\}\/versions\/latest$/,
    );
    expect(md['user-data']).toContain('gateway --config /etc/warden/config.json');
    expect(md['user-data']).toContain(f.gateway.image);
  });

  it('runs a regional managed instance group with autohealing', () => {
    expect(synth).toHaveResourceWithProperties(ComputeRegionInstanceGroupManager, {
      region: 'europe-west3',
      target_size: 2,
      auto_healing_policies: {
        health_check: expect.stringContaining('google_compute_health_check.gw_compute_autoheal'),
        initial_delay_sec: 300,
      },
    });
  });
});

describe('WardenGcpGateway: network', () => {
  const synth = fixture().synth();

  it('serves the listener ports on an internal passthrough load balancer', () => {
    expect(synth).toHaveResourceWithProperties(ComputeForwardingRule, {
      load_balancing_scheme: 'INTERNAL',
      ip_protocol: 'TCP',
      ports: ['5432', '2222', '8443', '6443', '8444'],
    });
    expect(synth).toHaveResourceWithProperties(ComputeRegionBackendService, {
      load_balancing_scheme: 'INTERNAL',
      protocol: 'TCP',
    });
  });

  it('admits clients only from declared ranges, health checks only from Google', () => {
    expect(synth).toHaveResourceWithProperties(ComputeFirewall, {
      name: 'warden-gw-clients-0',
      source_ranges: ['10.10.0.0/24'],
      target_service_accounts: [expect.stringContaining('google_service_account.gw_service-account')],
    });
    expect(synth).toHaveResourceWithProperties(ComputeFirewall, {
      name: 'warden-gw-health',
      source_ranges: ['35.191.0.0/16', '130.211.0.0/22'],
      allow: [{ protocol: 'tcp', ports: ['8444'] }],
    });
  });

  it('makes the gateway the only egress path to the database', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform reference, not a JS template
    const ip = '${google_sql_database_instance.db.private_ip_address}/32';
    expect(synth).toHaveResourceWithProperties(ComputeFirewall, {
      direction: 'EGRESS',
      allow: [{ protocol: 'tcp', ports: ['5432'] }],
      destination_ranges: [ip],
      target_service_accounts: [expect.stringContaining('google_service_account.gw_service-account')],
    });
    expect(synth).toHaveResourceWithProperties(ComputeFirewall, {
      direction: 'EGRESS',
      deny: [{ protocol: 'tcp', ports: ['5432'] }],
      destination_ranges: [ip],
      priority: 65000,
    });
  });
});

describe('WardenGcpGateway: storage, logs, keys, registry', () => {
  const f = fixture();
  const synth = f.synth();
  const json = f.json();

  it('keeps audit in a CMEK, versioned, public-access-prevented bucket for six years', () => {
    expect(synth).toHaveResourceWithProperties(StorageBucket, {
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      versioning: { enabled: true },
      encryption: { default_kms_key_name: expect.stringContaining('google_kms_crypto_key.gw_keys_storage') },
      retention_policy: { retention_period: 2192 * 86400, is_locked: false },
    });
  });

  it('locks the retention when asked', () => {
    expect(fixture({ lockRetention: true }).synth()).toHaveResourceWithProperties(StorageBucket, {
      retention_policy: { retention_period: 2192 * 86400, is_locked: true },
    });
  });

  it('routes gateway logs to a six-year CMEK log bucket', () => {
    expect(synth).toHaveResourceWithProperties(LoggingProjectBucketConfig, {
      retention_days: 2192,
      cmek_settings: { kms_key_name: expect.stringContaining('google_kms_crypto_key.gw_keys_logs') },
    });
    expect(synth).toHaveResourceWithProperties(LoggingProjectSink, {
      destination: expect.stringMatching(
        /^logging\.googleapis\.com\/\$\{google_logging_project_bucket_config\./,
      ),
      filter: expect.stringContaining('resource.type="gce_instance"'),
    });
  });

  it('rotates every key at most every 90 days', () => {
    const keys = resourcesOf(json, 'google_kms_crypto_key');
    expect(keys.map((k) => k.rotation_period)).toEqual(['7776000s', '7776000s', '7776000s', '7776000s']);
    expect(() => fixture({ keyRotationDays: 365 })).toThrow(/between 1 and 90/);
  });

  it('encrypts every secret with the secrets key', () => {
    for (const s of resourcesOf(json, 'google_secret_manager_secret')) {
      const replica = (s.replication as { user_managed: { replicas: Record<string, unknown>[] } })
        .user_managed.replicas[0]!;
      expect(replica.customer_managed_encryption).toEqual({
        kms_key_name: expect.stringContaining('google_kms_crypto_key.gw_keys_secrets'),
      });
    }
  });

  it('has a Docker repository and a documented build and push command', () => {
    expect(synth).toHaveResourceWithProperties(ArtifactRegistryRepository, { format: 'DOCKER' });
    expect(f.gateway.image).toBe('europe-west3-docker.pkg.dev/p1/warden/warden-gateway:latest');
    expect(f.gateway.buildAndPushCommand).toBe(
      'gcloud auth configure-docker europe-west3-docker.pkg.dev && ' +
        'docker build -t europe-west3-docker.pkg.dev/p1/warden/warden-gateway:latest node_modules/@warden/constructs/gateway-image && ' +
        'docker push europe-west3-docker.pkg.dev/p1/warden/warden-gateway:latest',
    );
  });
});
