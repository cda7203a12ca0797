/**
 * Compiled in the consumer app against the installed package: its declarations carry real types
 * (not `any`), so each wrong value below is a compile error that the directive expects.
 */
import type { WardenConfig } from '@warden/constructs';
import type { WardenGatewayProps } from '@warden/constructs/aws';

// @ts-expect-error auditRetentionDays is a number of days
export const wrongRetention: Partial<WardenGatewayProps> = { auditRetentionDays: 'six years' };
// @ts-expect-error a validated config's default decision is 'allow' or 'deny'
export const wrongDefault: WardenConfig['policy']['default'] = 'maybe';
