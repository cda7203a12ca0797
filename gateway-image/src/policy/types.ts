import type { z } from 'zod';
import type { httpMatch, kubernetesMatch, policy, sqlMatch, sshMatch } from '../config/policy';

/** The validated `policy` section of the config. */
export type PolicyConfig = z.output<typeof policy>;
export type SqlMatchConfig = z.output<typeof sqlMatch>;
export type SshMatchConfig = z.output<typeof sshMatch>;
export type HttpMatchConfig = z.output<typeof httpMatch>;
export type KubernetesMatchConfig = z.output<typeof kubernetesMatch>;
