import type { Command } from './command';
import { auditVerify } from './commands/audit';
import { configCheck, configSchema } from './commands/config';
import { devCommand } from './commands/dev';
import { gatewayCommand } from './commands/gateway';
import { loginCommand } from './commands/login';

/** Every `warden` subcommand, in the order `warden --help` lists them. */
export const COMMANDS: readonly Command[] = [
  gatewayCommand,
  devCommand,
  configCheck,
  configSchema,
  auditVerify,
  loginCommand,
];
