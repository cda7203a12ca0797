import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule';
import { ComputeRegionBackendService } from '@cdktf/provider-google/lib/compute-region-backend-service';
import { ComputeRegionHealthCheck } from '@cdktf/provider-google/lib/compute-region-health-check';
import { Construct } from 'constructs';
import type { GcpPeer } from './peers';
import type { INetwork, ISubnetwork } from './refs';

/** Google's health-check probe ranges: https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges */
export const HEALTH_CHECK_RANGES = ['35.191.0.0/16', '130.211.0.0/22'];

export interface GatewayLoadBalancerProps {
  readonly project: string;
  readonly region: string;
  readonly namePrefix: string;
  readonly network: INetwork;
  readonly subnetwork: ISubnetwork;
  readonly instanceGroup: string;
  readonly serviceAccountEmail: string;
  /** Listener ports clients use (at most five: one forwarding rule). */
  readonly ports: readonly number[];
  readonly healthPort: number;
}

/**
 * Internal passthrough network load balancer: clients connect to one private address; TLS ends on
 * the gateway itself, so the balancer never sees plaintext. Firewall rules admit clients only from
 * the declared peers (`allowClientsFrom`), and health probes only from Google's ranges.
 */
export class GatewayLoadBalancer extends Construct {
  readonly forwardingRule: ComputeForwardingRule;
  readonly backendService: ComputeRegionBackendService;
  readonly clientFirewalls: ComputeFirewall[] = [];
  readonly healthCheckFirewall: ComputeFirewall;
  private readonly props: GatewayLoadBalancerProps;
  private readonly ports: string[];

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerProps) {
    super(scope, id);
    if (props.ports.length > 5) throw new Error('an internal forwarding rule takes at most five ports');
    this.props = props;
    const ports = props.ports.map(String);
    this.ports = ports;
    const check = new ComputeRegionHealthCheck(this, 'health', {
      project: props.project,
      region: props.region,
      name: `${props.namePrefix}-gw-lb`,
      // Every protocol is served only while the gateway is ready: it can audit, reach its approvals
      // store and resolve its connections' secrets (/readyz on the admin port, no credential needed).
      httpsHealthCheck: { port: props.healthPort, requestPath: '/readyz' },
    });
    this.backendService = new ComputeRegionBackendService(this, 'backend', {
      project: props.project,
      region: props.region,
      name: `${props.namePrefix}-gw`,
      loadBalancingScheme: 'INTERNAL',
      protocol: 'TCP',
      healthChecks: [check.id],
      backend: [{ group: props.instanceGroup, balancingMode: 'CONNECTION' }],
      // Long-lived database and SSH sessions must not move between gateways mid-session.
      sessionAffinity: 'CLIENT_IP',
      connectionDrainingTimeoutSec: 300,
    });
    this.forwardingRule = new ComputeForwardingRule(this, 'listener', {
      project: props.project,
      region: props.region,
      name: `${props.namePrefix}-gw`,
      loadBalancingScheme: 'INTERNAL',
      ipProtocol: 'TCP',
      ports,
      backendService: this.backendService.id,
      network: props.network.id,
      subnetwork: props.subnetwork.id,
    });
    this.healthCheckFirewall = new ComputeFirewall(this, 'health-checks', {
      ...this.ingressBase(),
      name: `${props.namePrefix}-gw-health`,
      allow: [{ protocol: 'tcp', ports: [String(props.healthPort)] }],
      sourceRanges: HEALTH_CHECK_RANGES,
    });
  }

  /** Admits `peer` to every listener port, and only to the gateway's VMs. */
  allowClientsFrom(peer: GcpPeer): ComputeFirewall {
    const n = this.clientFirewalls.length;
    const firewall = new ComputeFirewall(this, `clients-${n}`, {
      ...this.ingressBase(),
      name: `${this.props.namePrefix}-gw-clients-${n}`,
      description: `Warden clients: ${peer.label}`,
      ...(peer.source.sourceRanges ? { sourceRanges: [...peer.source.sourceRanges] } : {}),
      ...(peer.source.sourceTags ? { sourceTags: [...peer.source.sourceTags] } : {}),
    });
    this.clientFirewalls.push(firewall);
    return firewall;
  }

  private ingressBase() {
    return {
      project: this.props.project,
      network: this.props.network.id,
      direction: 'INGRESS',
      targetServiceAccounts: [this.props.serviceAccountEmail],
      allow: [{ protocol: 'tcp', ports: this.ports }],
      logConfig: { metadata: 'INCLUDE_ALL_METADATA' },
    };
  }
}
