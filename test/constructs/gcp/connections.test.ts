import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { Testing } from 'cdktf';
import { checkStack } from '../../../constructs/src/compliance/gcp';
import { isBlocking } from '../../../constructs/src/compliance/report';
import { GatewayConfigError } from '../../../constructs/src/core';
import { GcpPeer, PostgresTarget } from '../../../constructs/src/gcp';
import { fixture, resourcesOf } from './fixture';

Testing.setupJest();

describe('WardenGcpGateway connections', () => {
  it('renders a config the gateway schema accepts, tokens replaced by placeholders', () => {
    const f = fixture();
    expect(() => f.gateway.validateConfig()).not.toThrow();
    const cfg = f.gateway.renderConfig();
    expect(cfg.audit.sinks).toEqual([{ kind: 'gcs', bucket: expect.any(String), prefix: 'audit/' }]);
    expect(cfg.policy?.rules?.map((r) => r.name)).toEqual(['warden.phi-sql-writes']);
  });

  it('fails the synth on a config the gateway would refuse, naming the connection', () => {
    const f = fixture({ policy: { rules: [{ name: 'x', decision: 'allow', connections: ['nope'] }] } });
    expect(() => f.gateway.validateConfig()).toThrow(GatewayConfigError);
    expect(() => Testing.synth(f.stack, true)).toThrow(/unknown connection "nope"/);
  });

  it('adds SSH with the key as a secret and ingress only from the gateway tag', () => {
    const f = fixture({}, false);
    f.gateway.addSsh('bastion', {
      host: '10.10.0.9',
      user: 'ops',
      hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv3',
      privateKey: { secret: f.gateway.addSecret('bastion-key'), version: '3' },
      targetTags: ['phi-host'],
      phi: true,
    });
    expect(f.synth()).toHaveResourceWithProperties(ComputeFirewall, {
      direction: 'INGRESS',
      allow: [{ protocol: 'tcp', ports: ['22'] }],
      source_tags: ['warden-gateway'],
      target_tags: ['phi-host'],
    });
    const cfg = f.gateway.renderConfig();
    expect(cfg.connections?.[0]).toMatchObject({
      kind: 'ssh',
      upstream: { privateKey: expect.stringMatching(/versions\/3$/) },
    });
    expect(cfg.listeners?.ssh?.hostKey).toMatch(/^gcp-secretmanager:/);
    expect(() => f.gateway.validateConfig()).not.toThrow();
  });

  it('rejects SSH with both a key and a password, naming both', () => {
    const f = fixture({}, false);
    const s = f.gateway.addSecret('k');
    expect(() =>
      f.gateway.addSsh('h', {
        host: 'h',
        user: 'u',
        hostKey: 'ssh-ed25519 AAAA',
        privateKey: s,
        password: s,
      }),
    ).toThrow('connection "h": give exactly one of "privateKey" and "password"');
  });

  it('adds HTTP with a bearer token the client never sees', () => {
    const f = fixture({}, false);
    f.gateway.addHttp('fhir', {
      url: 'https://fhir.internal.example.org',
      credential: { type: 'bearer', token: { secret: f.gateway.addSecret('fhir-token'), jsonKey: 'token' } },
      phi: true,
    });
    const cfg = f.gateway.renderConfig();
    expect(cfg.connections?.[0]).toMatchObject({
      kind: 'http',
      upstream: { credential: { type: 'bearer', token: expect.stringMatching(/#token$/) } },
    });
    expect(() => f.gateway.validateConfig()).not.toThrow();
  });

  it('treats a connection as PHI unless told otherwise, as the AWS gateway does', () => {
    const f = fixture({}, false);
    f.gateway.addHttp('labs', {
      url: 'https://labs.internal.example.org',
      credential: { type: 'bearer', token: f.gateway.addSecret('labs-token') },
    });
    f.gateway.addHttp('docs', {
      url: 'https://docs.internal.example.org',
      credential: { type: 'none' },
      phi: false,
    });
    const cfg = f.gateway.renderConfig();
    expect(cfg.connections?.map((c) => [c.name, c.phi])).toEqual([
      ['labs', true],
      ['docs', false],
    ]);
    expect(cfg.policy?.rules?.find((r) => r.name === 'warden.phi-http-writes')?.connections).toEqual([
      'labs',
    ]);
  });

  it('refuses duplicate connection names', () => {
    const f = fixture();
    expect(() =>
      f.gateway.addPostgres('ehr', {
        target: PostgresTarget.fromInstance(f.db),
        databaseName: 'x',
        secret: f.gateway.addSecret('x'),
      }),
    ).toThrow(/already defined/);
  });

  it('admits no client until one is allowed, then exactly the declared peers', () => {
    const closed = fixture({ allowFrom: [] }).json();
    const clientRules = (json: typeof closed) =>
      resourcesOf(json, 'google_compute_firewall').filter((r) => String(r.name).includes('-gw-clients-'));
    expect(clientRules(closed)).toEqual([]);
    const f = fixture({ allowFrom: [GcpPeer.ipv4('10.20.0.0/16')] });
    f.gateway.allowClientsFrom(GcpPeer.networkTag('ci-runner'));
    const rules = clientRules(f.json());
    expect(rules.map((r) => [r.source_ranges, r.source_tags])).toEqual([
      [['10.20.0.0/16'], undefined],
      [undefined, ['ci-runner']],
    ]);
  });

  it('brokers more Postgres roles by user name, granting read on exactly their secrets, as on AWS', () => {
    const f = fixture({}, false);
    const reader = f.gateway.addSecret('reader-pw');
    f.gateway.addPostgres('ehr', {
      target: PostgresTarget.fromInstance(f.db),
      databaseName: 'ehr',
      secret: f.gateway.addSecret('pw'),
      roles: [{ user: 'reader', password: reader, principals: { kinds: ['agent'] } }],
    });
    expect(f.gateway.validateConfig().connections[0]).toMatchObject({
      roles: [
        {
          user: 'reader',
          password: expect.stringMatching(/^gcp-secretmanager:/),
          principals: { kinds: ['agent'] },
        },
      ],
    });
    const json = f.json();
    const [key] = Object.entries(json.resource.google_secret_manager_secret ?? {}).find(([, r]) =>
      String(r.secret_id).endsWith('reader-pw'),
    )!;
    const grants = resourcesOf(json, 'google_secret_manager_secret_iam_member').map((g) =>
      String(g.secret_id),
    );
    expect(grants).toContain(`\${google_secret_manager_secret.${key}.id}`);
  });

  it('returns the connection handle from every add… method, as on AWS', () => {
    const f = fixture({}, false);
    const pg = f.gateway.addPostgres('ehr', {
      target: PostgresTarget.fromInstance(f.db),
      databaseName: 'ehr',
      secret: f.gateway.addSecret('pw'),
    });
    const api = f.gateway.addHttp('docs', {
      url: 'https://docs.example.org',
      credential: { type: 'none' },
      phi: false,
    });
    expect([pg, api]).toEqual([
      { name: 'ehr', kind: 'postgres', phi: true, clientPort: 5432 },
      { name: 'docs', kind: 'http', phi: false, clientPort: 8443 },
    ]);
    expect(f.gateway.validateConfig().connections.map((c) => c.name)).toEqual(['ehr', 'docs']);
  });
});

describe('WardenGcpGateway compliance', () => {
  it('has no unacknowledged error of its own', () => {
    const f = fixture();
    const blocking = checkStack(f.stack).filter(isBlocking);
    expect(blocking).toEqual([]);
  });

  it('fails the bypass rule when a firewall rule opens the database to another source', () => {
    const f = fixture();
    // An analyst subnet given direct egress to the database's address: a path around the gateway.
    new ComputeFirewall(f.stack, 'analysts-to-db', {
      name: 'analysts-to-db',
      network: f.network.id,
      direction: 'EGRESS',
      priority: 900,
      allow: [{ protocol: 'tcp', ports: ['5432'] }],
      destinationRanges: [`${f.db.privateIpAddress}/32`],
      targetTags: ['analyst'],
    });
    // And an ingress rule admitting a whole range to the Postgres port on every VM.
    new ComputeFirewall(f.stack, 'pg-from-corp', {
      name: 'pg-from-corp',
      network: f.network.id,
      allow: [{ protocol: 'tcp', ports: ['5432'] }],
      sourceRanges: ['172.16.0.0/12'],
    });
    const bypass = checkStack(f.stack).filter(
      (x) => x.ruleId === 'Warden-FirewallTargetOnlyFromGateway' && x.status === 'non-compliant',
    );
    expect(bypass.map((x) => x.resource).sort()).toEqual(['test/analysts-to-db', 'test/pg-from-corp']);
    expect(() => Testing.synth(f.stack, false)).not.toThrow();
  });

  it("does not flag the gateway's own firewall rules as a bypass", () => {
    const f = fixture();
    const own = checkStack(f.stack).filter(
      (x) => x.ruleId === 'Warden-FirewallTargetOnlyFromGateway' && x.resource.startsWith('test/gw/'),
    );
    expect(own.map((x) => x.status)).not.toContain('non-compliant');
    expect(resourcesOf(f.json(), 'google_compute_firewall').length).toBe(4);
  });
});
