import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { Testing } from 'cdktf';
import { checkStack, GCP_PACK } from '../../../constructs/src/compliance/gcp';
import { fixture } from './fixture';

Testing.setupJest();

const BYPASS = GCP_PACK.filter((e) => e.rule.name === 'FirewallTargetOnlyFromGateway');

/** A GKE cluster and the gateway in front of it; `cluster` options vary per case. */
function withGke(opts: { privateEndpoint?: boolean; authorized?: string[]; attach?: boolean } = {}) {
  const f = fixture({}, false);
  const cluster = new ContainerCluster(f.stack, 'gke', {
    name: 'clinic',
    location: 'europe-west3',
    network: f.network.id,
    initialNodeCount: 1,
    privateClusterConfig: {
      enablePrivateNodes: true,
      enablePrivateEndpoint: opts.privateEndpoint ?? true,
      masterIpv4CidrBlock: '172.16.0.0/28',
    },
    ...(opts.authorized
      ? {
          masterAuthorizedNetworksConfig: {
            cidrBlocks: opts.authorized.map((cidrBlock) => ({ cidrBlock, displayName: 'warden' })),
          },
        }
      : {}),
  });
  const connection = f.gateway.addKubernetes('clinic', {
    endpoint: `https://${cluster.privateClusterConfig.privateEndpoint}`,
    ...(opts.attach === false ? {} : { cluster }),
    credential: { type: 'bearer', token: f.gateway.addSecret('clinic-sa-token') },
    caCertificate: f.gateway.addSecret('clinic-ca'),
    phiNamespaces: ['clinical'],
  });
  const bypass = () => checkStack(f.stack, BYPASS).filter((x) => x.message.includes('"clinic"'));
  return { f, cluster, connection, bypass };
}

describe('WardenGcpGateway.addKubernetes (GKE, private endpoint)', () => {
  it('returns the connection on the Kubernetes port, renders a valid config and holds PHI changes', () => {
    const { f, connection } = withGke({ authorized: ['10.10.0.0/24'] });
    expect(connection).toEqual({ name: 'clinic', kind: 'kubernetes', phi: true, clientPort: 6443 });
    const config = f.gateway.validateConfig();
    expect(config.listeners.kubernetes).toMatchObject({ port: 6443 });
    expect(config.connections.find((c) => c.name === 'clinic')).toMatchObject({
      kind: 'kubernetes',
      upstream: {
        url: 'https://placeholder',
        tls: { mode: 'verify-full', ca: expect.stringMatching(/^gcp-secretmanager:/) },
      },
    });
    expect(config.policy.rules.map((r) => r.name)).toContain('warden.phi-kubernetes-changes');
    // The control plane is not a VM: no firewall is written for it.
    const firewalls = JSON.parse(f.synth()).resource.google_compute_firewall as Record<
      string,
      { name: string }
    >;
    expect(Object.values(firewalls).some((fw) => fw.name.includes('clinic'))).toBe(false);
    expect(f.synth()).toHaveResourceWithProperties(ComputeFirewall, {
      allow: [{ protocol: 'tcp', ports: ['5432', '2222', '8443', '6443', '8444'] }],
    });
  });

  it('passes the bypass rule for a private endpoint with authorized networks', () => {
    const { bypass } = withGke({ authorized: ['10.10.0.0/24'] });
    expect(bypass().map((x) => x.status)).toEqual(['compliant']);
  });

  it.each([
    [{ privateEndpoint: false, authorized: ['10.10.0.0/24'] }, 'has a public endpoint'],
    [{}, 'sets no master authorized networks'],
    [{ authorized: ['0.0.0.0/0'] }, 'authorizes every address'],
  ])('fails a cluster whose API is reachable around the gateway (%j)', (opts, why) => {
    const { bypass } = withGke(opts);
    const [finding] = bypass();
    expect(finding).toMatchObject({ status: 'non-compliant' });
    expect(finding!.message).toContain(why);
  });

  it('reports a cluster outside the stack as could-not-validate', () => {
    const { bypass } = withGke({ attach: false });
    expect(bypass().map((x) => x.status)).toEqual(['could-not-validate']);
  });
});
