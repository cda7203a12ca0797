/** The shape of a Warden rule on AWS, and the helpers rules share. */
import { type CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { markOf } from '../../aws/marks';
import type { WardenConfig } from '../../core';
import { couldNotValidate, type RuleOutcome } from '../config/outcome';

export interface WardenRule {
  /** Rule id without the pack prefix, e.g. "EC2ProtectedTargetIngressOnlyFromGateway". */
  readonly id: string;
  readonly level: 'error' | 'warning';
  /** The § 164.312 control the rule supports. */
  readonly hipaaControl: string;
  /** One line: the compliant state. */
  readonly info: string;
  /** Why the rule exists. */
  readonly explanation: string;
  /** Pure: looks at one resource (and, through marks, at what it is for). */
  evaluate(node: CfnResource): RuleOutcome;
}

/** Resolves a value the way the template will hold it. */
export function resolve(node: IConstruct, value: unknown): unknown {
  return Stack.of(node).resolve(value);
}

/** JSON of a resolved value, for comparing references (`{Ref}`, `{Fn::GetAtt}`) structurally. */
export function resolvedKey(node: IConstruct, value: unknown): string {
  return JSON.stringify(resolve(node, value));
}

/** Every construct in the stack of `node`, depth first. */
export function stackConstructs(node: IConstruct): IConstruct[] {
  return Stack.of(node).node.findAll();
}

/** The validated gateway config behind a gateway task definition, or why it cannot be had. */
export function gatewayConfig(node: CfnResource): WardenConfig | RuleOutcome | undefined {
  const mark = markOf(node, 'gateway-task');
  if (!mark) return undefined;
  try {
    return (mark.config as () => WardenConfig)();
  } catch (err) {
    return couldNotValidate(`the gateway config does not validate: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function isOutcome(v: unknown): v is RuleOutcome {
  return typeof v === 'object' && v !== null && 'status' in v && 'message' in v;
}
