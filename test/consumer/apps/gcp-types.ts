/**
 * Compiled in the consumer app against the installed package: its declarations carry real types
 * (not `any`), so each wrong value below is a compile error that the directive expects.
 */
import type { WardenGcpGatewayProps } from '@warden/constructs/gcp';

// @ts-expect-error auditRetentionDays is a number of days
export const wrongRetention: Partial<WardenGcpGatewayProps> = { auditRetentionDays: 'six years' };
// @ts-expect-error clients are GcpPeer values, not bare ranges
export const wrongPeers: Partial<WardenGcpGatewayProps> = { allowFrom: ['10.0.0.0/8'] };
