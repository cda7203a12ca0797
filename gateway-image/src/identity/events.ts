/**
 * Identity events for observers (audit, metrics). Publishers never call a sink directly; whoever
 * cares subscribes to the channel. Events carry principal summaries and token ids, never tokens.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { PrincipalKind } from './principal';

export const IDENTITY_CHANNEL = 'warden.identity';

export interface PrincipalRef {
  readonly subject: string;
  readonly kind: PrincipalKind;
  readonly issuer: string;
  readonly groups: readonly string[];
}

export type IdentityEvent =
  | {
      readonly type: 'session-token.issued';
      readonly principal: PrincipalRef;
      readonly tokenId: string;
      readonly expiresAt: string;
    }
  | { readonly type: 'session-token.revoked'; readonly by: PrincipalRef; readonly tokenId: string }
  | { readonly type: 'authentication.refused'; readonly code: string; readonly where: string };

const channel = diagnosticsChannel.channel(IDENTITY_CHANNEL);

export function publishIdentityEvent(event: IdentityEvent): void {
  if (channel.hasSubscribers) channel.publish({ time: new Date().toISOString(), ...event });
}
