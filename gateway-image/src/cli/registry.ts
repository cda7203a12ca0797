import type { Command } from './command';
import { configCheck, configSchema } from './commands/config';

/** Every `warden` subcommand, in the order `warden --help` lists them. */
export const COMMANDS: readonly Command[] = [configCheck, configSchema];
