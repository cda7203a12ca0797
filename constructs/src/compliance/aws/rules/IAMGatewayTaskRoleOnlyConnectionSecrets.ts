/**
 * 164.312(a)(1), 164.312(a)(2)(iv). Compliant: the gateway task role can read exactly the secrets
 * of its connections and its own keys; no statement grants Secrets Manager on anything else, and
 * no managed policy is attached (its contents cannot be checked here).
 */
import { Stack } from 'aws-cdk-lib';
import { CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { markOf } from '../../../aws/marks';
import { compliant, fromProblems, nonCompliant, notApplicable } from '../../config/outcome';
import { stackConstructs, type WardenRule } from '../rule';

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** An action pattern that covers some Secrets Manager action ("*", "secretsmanager:*", "secretsmanager:Get*"). */
const touchesSecrets = (a: string) => a === '*' || a.toLowerCase().startsWith('secretsmanager:');

export const IAMGatewayTaskRoleOnlyConnectionSecrets: WardenRule = {
  id: 'IAMGatewayTaskRoleOnlyConnectionSecrets',
  level: 'error',
  hipaaControl: '164.312(a)(1)',
  info: "The gateway task role reads only its connections' secrets and its own keys.",
  explanation:
    'A gateway that can read other secrets could reach resources outside its declared connections, outside policy and audit.',
  evaluate(node) {
    if (!(node instanceof CfnRole)) return notApplicable();
    const mark = markOf(node, 'gateway-task-role');
    if (!mark) return notApplicable();
    const stack = Stack.of(node);
    const key = (v: unknown) => JSON.stringify(stack.resolve(v));
    const allowed = new Set(mark.allowedSecrets.map(key));
    const roleRef = key(node.ref);
    const documents: [string, { Statement?: Statement[] }][] = [];
    for (const p of list(stack.resolve(node.policies) as { policyDocument?: unknown }[] | undefined)) {
      documents.push(['inline policy', p.policyDocument as never]);
    }
    for (const c of stackConstructs(node)) {
      if (
        c instanceof CfnPolicy &&
        list(stack.resolve(c.roles) as unknown[]).some((r) => JSON.stringify(r) === roleRef)
      ) {
        documents.push([c.node.path, stack.resolve(c.policyDocument) as never]);
      }
    }
    const managed = list(stack.resolve(node.managedPolicyArns) as unknown[]);
    if (managed.length > 0) return nonCompliant(`managed policies are attached: ${JSON.stringify(managed)}`);
    const problems: string[] = [];
    let granted = 0;
    for (const [where, doc] of documents) {
      for (const st of doc?.Statement ?? []) {
        if (st.Effect === 'Deny') continue;
        if (st.NotAction !== undefined) {
          problems.push(`${where}: NotAction grants may include Secrets Manager`);
          continue;
        }
        if (!list(st.Action).some(touchesSecrets)) continue;
        for (const r of list(st.Resource)) {
          if (allowed.has(JSON.stringify(r))) granted++;
          else
            problems.push(
              `${where}: Secrets Manager access to ${JSON.stringify(r)} is not a connection secret`,
            );
        }
      }
    }
    return problems.length
      ? fromProblems(problems, '')
      : compliant(`reads exactly ${granted} declared secret(s)`);
  },
};
