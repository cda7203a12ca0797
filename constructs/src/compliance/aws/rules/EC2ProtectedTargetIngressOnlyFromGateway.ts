/**
 * Bypass detection, 164.312(a)(1). Compliant: a protected target's security group admits traffic
 * only from the gateway's security group, so the gateway is the only path to the data. Checked
 * from both sides: every ingress rule of a marked target group, and, on the gateway's group, the
 * connections whose target is not in this app (could not validate, never a pass). A Kubernetes
 * control plane's group may also admit itself (its nodes reach their API server), and the EKS
 * cluster's endpoint must be private: a public endpoint is a path around the gateway.
 */
import { type CfnResource, Stack } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupIngress } from 'aws-cdk-lib/aws-ec2';
import { CfnCluster } from 'aws-cdk-lib/aws-eks';
import { markOf, marksOf } from '../../../aws/marks';
import { compliant, couldNotValidate, nonCompliant, notApplicable } from '../../config/outcome';
import { stackConstructs, type WardenRule } from '../rule';

/** Every ingress of `sg` as [source, description]: inline rules and separate ingress resources. */
function ingressOf(sg: CfnSecurityGroup): [unknown, string][] {
  const stack = Stack.of(sg);
  const self = JSON.stringify(stack.resolve(sg.attrGroupId));
  const out: [unknown, string][] = [];
  const inline = (stack.resolve(sg.securityGroupIngress) ?? []) as Record<string, unknown>[];
  for (const r of inline) {
    // L2 security groups render inline rules in camelCase; raw L1 users may write PascalCase.
    const pick = (k: string) => r[k] ?? r[k[0]!.toUpperCase() + k.slice(1)];
    const src =
      pick('sourceSecurityGroupId') ?? pick('cidrIp') ?? pick('cidrIpv6') ?? pick('sourcePrefixListId');
    out.push([src, `inline rule from ${JSON.stringify(src)}`]);
  }
  for (const c of stackConstructs(sg)) {
    if (!(c instanceof CfnSecurityGroupIngress)) continue;
    if (JSON.stringify(stack.resolve(c.groupId)) !== self) continue;
    const src = stack.resolve(c.sourceSecurityGroupId ?? c.cidrIp ?? c.cidrIpv6 ?? c.sourcePrefixListId);
    out.push([src, `${c.node.path} from ${JSON.stringify(src)}`]);
  }
  return out;
}

/** Resolved GroupId of every gateway security group in the stack. */
function gatewayGroups(node: CfnResource): Set<string> {
  const stack = Stack.of(node);
  const out = new Set<string>();
  for (const c of stackConstructs(node)) {
    if (c instanceof CfnSecurityGroup && markOf(c, 'gateway-security-group')) {
      out.add(JSON.stringify(stack.resolve(c.attrGroupId)));
    }
  }
  return out;
}

export const EC2ProtectedTargetIngressOnlyFromGateway: WardenRule = {
  id: 'EC2ProtectedTargetIngressOnlyFromGateway',
  level: 'error',
  hipaaControl: '164.312(a)(1)',
  info: "A protected target's security group admits ingress only from the Warden gateway's security group.",
  explanation:
    'Any other ingress is a path to PHI that skips identity, policy, masking and audit: the gateway must be the only path.',
  evaluate(node) {
    if (node instanceof CfnCluster) return clusterEndpoint(node);
    if (!(node instanceof CfnSecurityGroup)) return notApplicable();
    const unverifiable = markOf(node, 'unverifiable-targets');
    if (unverifiable && unverifiable.connections.length > 0) {
      return couldNotValidate(
        `the targets of connection(s) ${unverifiable.connections.map((c) => `"${c}"`).join(', ')} are not security groups in this app; prove they admit only the gateway`,
      );
    }
    const names = marksOf(node).flatMap((m) => (m.role === 'protected-target' ? [`"${m.connection}"`] : []));
    if (names.length === 0) return notApplicable();
    const gateways = gatewayGroups(node);
    const self = JSON.stringify(Stack.of(node).resolve(node.attrGroupId));
    const selfAllowed = marksOf(node).some((m) => m.role === 'protected-target' && m.selfIngress === true);
    const bad = ingressOf(node)
      .filter(([src]) => !gateways.has(JSON.stringify(src)) && !(selfAllowed && JSON.stringify(src) === self))
      .map(([, d]) => d);
    return bad.length
      ? nonCompliant(
          `target of connection(s) ${names.join(', ')} admits traffic that bypasses the gateway: ${bad.join('; ')}`,
        )
      : compliant(`target of connection(s) ${names.join(', ')} admits only the gateway`);
  },
};

/** An EKS cluster reached through the gateway: only a private endpoint keeps the gateway the only path. */
function clusterEndpoint(node: CfnCluster) {
  const names = marksOf(node).flatMap((m) => (m.role === 'protected-cluster' ? [`"${m.connection}"`] : []));
  if (names.length === 0) return notApplicable();
  const vpc = Stack.of(node).resolve(node.resourcesVpcConfig) as
    | { endpointPublicAccess?: unknown; EndpointPublicAccess?: unknown }
    | undefined;
  const publicAccess = vpc?.endpointPublicAccess ?? vpc?.EndpointPublicAccess;
  if (publicAccess === false)
    return compliant(`cluster of connection(s) ${names.join(', ')} has a private endpoint only`);
  if (publicAccess === true || publicAccess === undefined) {
    return nonCompliant(
      `cluster of connection(s) ${names.join(', ')} has a public API endpoint${publicAccess === undefined ? ' (EKS default)' : ''}: set resourcesVpcConfig.endpointPublicAccess to false so the gateway is the only path`,
    );
  }
  return couldNotValidate(
    `the endpoint access of the cluster of connection(s) ${names.join(', ')} is not known at synth`,
  );
}
