/**
 * 164.312(e)(1). Compliant: no load balancer is internet-facing, and no task, instance, database
 * or subnet gives out a public IP. PHI systems are reached from inside the network only.
 */
import type { CfnResource } from 'aws-cdk-lib';
import { CfnInstance, CfnSubnet } from 'aws-cdk-lib/aws-ec2';
import { CfnService } from 'aws-cdk-lib/aws-ecs';
import { CfnLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { CfnDBCluster, CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import {
  compliant,
  couldNotValidate,
  nonCompliant,
  notApplicable,
  type RuleOutcome,
} from '../../config/outcome';
import { resolve, type WardenRule } from '../rule';

/** `value` must resolve to one of `safe` (undefined allowed when the service default is private). */
function expect(node: CfnResource, value: unknown, what: string, safe: unknown[]): RuleOutcome {
  const v = resolve(node, value);
  if (safe.includes(v)) return compliant(`${what} is ${v ?? 'the private default'}`);
  if (v !== null && typeof v === 'object') return couldNotValidate(`${what} is not known at synth`);
  return nonCompliant(`${what} is ${JSON.stringify(v)}`);
}

export const VPCNoPublicExposure: WardenRule = {
  id: 'VPCNoPublicExposure',
  level: 'error',
  hipaaControl: '164.312(e)(1)',
  info: 'No internet-facing load balancer and no public IP on tasks, instances, databases or subnets.',
  explanation:
    'A public address is a path to PHI systems from outside the network that the gateway does not mediate.',
  evaluate(node) {
    if (node instanceof CfnLoadBalancer)
      return expect(node, node.scheme, 'the load balancer scheme', ['internal']);
    if (node instanceof CfnService) {
      const cfg = resolve(node, node.networkConfiguration) as
        | { awsvpcConfiguration?: { assignPublicIp?: unknown } }
        | undefined;
      return expect(node, cfg?.awsvpcConfiguration?.assignPublicIp, 'assignPublicIp', [
        undefined,
        'DISABLED',
      ]);
    }
    if (node instanceof CfnSubnet)
      return expect(node, node.mapPublicIpOnLaunch, 'mapPublicIpOnLaunch', [undefined, false]);
    if (node instanceof CfnDBInstance)
      return expect(node, node.publiclyAccessible, 'publiclyAccessible', [false]);
    if (node instanceof CfnDBCluster) {
      // Aurora: exposure is set per instance, and each CfnDBInstance is judged on its own.
      if (resolve(node, node.dbClusterInstanceClass) === undefined)
        return notApplicable('Aurora cluster: its instances are checked');
      return expect(node, node.publiclyAccessible, 'publiclyAccessible', [false]);
    }
    if (node instanceof CfnInstance) {
      const nics = resolve(node, node.networkInterfaces) ?? [];
      if (!Array.isArray(nics)) return couldNotValidate('the network interfaces are not known at synth');
      const flags = nics.map((n: { associatePublicIpAddress?: unknown }) => n.associatePublicIpAddress);
      if (flags.includes(true)) return nonCompliant('a network interface associates a public IP');
      if (flags.some((v) => v !== undefined && v !== false))
        return couldNotValidate('associatePublicIpAddress is not known at synth');
      return compliant('no public IP');
    }
    return notApplicable();
  },
};
