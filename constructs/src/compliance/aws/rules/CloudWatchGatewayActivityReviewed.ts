/**
 * 164.308(a)(1)(ii)(D). Compliant: the gateway has a CloudWatch dashboard and an alarm with a
 * notification action on each operating signal (audit append failures, readiness, hold age,
 * denied-statement spikes, task restarts), so its activity is reviewed as it happens, not only
 * from the audit log after the fact.
 */
import { CfnAlarm, CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { markOf } from '../../../aws/marks';
import { ALARM_SIGNALS } from '../../../aws/operations';
import { compliant, nonCompliant, notApplicable } from '../../config/outcome';
import { resolve, stackConstructs, type WardenRule } from '../rule';

export const CloudWatchGatewayActivityReviewed: WardenRule = {
  id: 'CloudWatchGatewayActivityReviewed',
  level: 'error',
  hipaaControl: '164.308(a)(1)(ii)(D)',
  info: 'The gateway has a dashboard and an actionable alarm on each operating signal.',
  explanation:
    'Information system activity review needs someone told when the audit log refuses appends, the gateway is not ready, approvals wait, denials spike or tasks restart.',
  evaluate(node) {
    if (!(node instanceof CfnTaskDefinition)) return notApplicable();
    const task = markOf(node, 'gateway-task');
    if (!task) return notApplicable();
    const covered = new Set<string>();
    let dashboard = false;
    for (const c of stackConstructs(node)) {
      if (c instanceof CfnDashboard && markOf(c, 'gateway-dashboard')?.gateway === task.gateway)
        dashboard = true;
      if (!(c instanceof CfnAlarm)) continue;
      const alarm = markOf(c, 'gateway-alarm');
      if (alarm?.gateway !== task.gateway) continue;
      const actions = resolve(c, c.alarmActions);
      const enabled = resolve(c, c.actionsEnabled) !== false;
      if (enabled && Array.isArray(actions) && actions.length > 0) covered.add(alarm.signal);
    }
    const missing = ALARM_SIGNALS.filter((s) => !covered.has(s));
    if (missing.length > 0)
      return nonCompliant(`no alarm with a notification action on: ${missing.join(', ')}`);
    if (!dashboard) return nonCompliant('the gateway has no CloudWatch dashboard');
    return compliant(`dashboard and alarms with actions on ${ALARM_SIGNALS.join(', ')}`);
  },
};
