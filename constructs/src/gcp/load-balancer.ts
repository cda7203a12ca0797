import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule';
import { ComputeRegionBackendService } from '@cdktf/provider-google/lib/compute-region-backend-service';
import { ComputeRegionHealthCheck } from '@cdktf/provider-google/lib/compute-region-health-check';
import { Construct } from 'constructs';
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
  readonly clientRanges: readonly string[];
  readonly clientTags: readonly string[];
}

/**
 * Internal passthrough network load balancer: clients connect to one private address; TLS ends on
 * the gateway itself, so the balancer never sees plaintext. Firewall rules admit clients only from
 * the declared ranges or tags, and health probes only from Google's ranges.
 */
export class GatewayLoadBalancer extends Construct {
  readonly forwardingRule: ComputeForwardingRule;
  readonly backendService: ComputeRegionBackendService;
  readonly clientFirewalls: ComputeFirewall[] = [];
  readonly healthCheckFirewall: ComputeFirewall;

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerProps) {
    super(scope, id);
    if (props.ports.length > 5) throw new Error('an internal forwarding rule takes at most five ports');
    const ports = props.ports.map(String);
    const check = new ComputeRegionHealthCheck(this, 'health', {
      project: props.project,
      region: props.region,
      name: `${props.namePrefix}-gw-lb`,
      tcpHealthCheck: { port: props.healthPort },
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
    const base = {
      project: props.project,
      network: props.network.id,
      direction: 'INGRESS',
      targetServiceAccounts: [props.serviceAccountEmail],
      allow: [{ protocol: 'tcp', ports }],
      logConfig: { metadata: 'INCLUDE_ALL_METADATA' },
    };
    if (props.clientRanges.length > 0) {
      this.clientFirewalls.push(
        new ComputeFirewall(this, 'clients-by-range', {
          ...base,
          name: `${props.namePrefix}-gw-clients-range`,
          sourceRanges: [...props.clientRanges],
        }),
      );
    }
    if (props.clientTags.length > 0) {
      this.clientFirewalls.push(
        new ComputeFirewall(this, 'clients-by-tag', {
          ...base,
          name: `${props.namePrefix}-gw-clients-tag`,
          sourceTags: [...props.clientTags],
        }),
      );
    }
    this.healthCheckFirewall = new ComputeFirewall(this, 'health-checks', {
      ...base,
      name: `${props.namePrefix}-gw-health`,
      allow: [{ protocol: 'tcp', ports: [String(props.healthPort)] }],
      sourceRanges: HEALTH_CHECK_RANGES,
    });
  }
}
