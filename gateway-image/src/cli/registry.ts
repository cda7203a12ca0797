import type { Command } from './command';
import { accessList, accessRequest, accessRevoke } from './commands/access';
import { approvalsApprove, approvalsDeny, approvalsList, approvalsShow } from './commands/approvals';
import { auditVerify } from './commands/audit';
import { classifyCommand } from './commands/classify';
import { configCheck, configSchema } from './commands/config';
import { devCommand } from './commands/dev';
import { evidenceExport, evidenceVerify } from './commands/evidence';
import { gatewayCommand } from './commands/gateway';
import { kubeconfigCommand } from './commands/kubeconfig';
import { loginCommand } from './commands/login';
import { replayCommand } from './commands/replay';

/** Every `warden` subcommand, in the order `warden --help` lists them. */
export const COMMANDS: readonly Command[] = [
  gatewayCommand,
  devCommand,
  configCheck,
  configSchema,
  auditVerify,
  evidenceExport,
  evidenceVerify,
  classifyCommand,
  loginCommand,
  kubeconfigCommand,
  replayCommand,
  approvalsList,
  approvalsShow,
  approvalsApprove,
  approvalsDeny,
  accessRequest,
  accessList,
  accessRevoke,
];
