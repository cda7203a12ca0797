/** `warden access request|list|revoke`: just-in-time grants through the admin API. */
import type { Command } from '../command';
import { optionalString, requireString, UsageError } from '../command';
import { ADMIN_FLAGS_HELP, adminFlags, adminRequest, print } from './approvals';

/** `30m`, `2h`, `90s`, or plain minutes. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--for expects a duration like 30m or 2h, found "${text}"`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'm') as 's' | 'm' | 'h'];
  const ms = Math.round(Number(m[1]) * unit);
  if (ms <= 0) throw new UsageError('--for must be positive');
  return ms;
}

interface GrantView {
  id: string;
  subject: string;
  connection: string;
  expiresAt: string;
  revokedAt?: string;
}

export const accessRequest: Command = {
  path: ['access', 'request'],
  summary: 'Ask for just-in-time access to a connection',
  help: `Usage: warden access request CONNECTION --for DURATION --reason TEXT [flags]

  --for DURATION   how long (30m, 2h; capped by access.justInTime.maxDurationMs)
  --reason TEXT    why you need it (shown to approvers, audited)
${ADMIN_FLAGS_HELP}`,
  options: { ...adminFlags, for: { type: 'string' }, reason: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'CONNECTION' },
  async run(args, io) {
    const durationMs = parseDuration(requireString(args, 'for'));
    const body = { connection: args.positionals[0], durationMs, reason: requireString(args, 'reason') };
    const r = (await adminRequest(args, io, 'POST', '/v1/access-requests', body)) as { id: string };
    return print(io, args, r, `requested: approval ${r.id} is pending (warden approvals show ${r.id})`);
  },
};

export const accessList: Command = {
  path: ['access', 'list'],
  summary: 'List just-in-time grants you can see',
  help: `Usage: warden access list [flags]

${ADMIN_FLAGS_HELP}`,
  options: adminFlags,
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const out = (await adminRequest(args, io, 'GET', '/v1/grants')) as { grants: GrantView[] };
    const lines = out.grants.map(
      (g) =>
        `${g.id}  ${g.subject}  ${g.connection}  ${g.revokedAt ? `revoked ${g.revokedAt}` : `until ${g.expiresAt}`}`,
    );
    return print(io, args, out, lines.length === 0 ? 'no grants' : lines.join('\n'));
  },
};

export const accessRevoke: Command = {
  path: ['access', 'revoke'],
  summary: 'Revoke a just-in-time grant; live sessions on it end',
  help: `Usage: warden access revoke GRANT_ID [--reason TEXT] [flags]

${ADMIN_FLAGS_HELP}`,
  options: { ...adminFlags, reason: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'GRANT_ID' },
  async run(args, io) {
    const reason = optionalString(args, 'reason');
    const id = encodeURIComponent(args.positionals[0]!);
    const g = (await adminRequest(
      args,
      io,
      'POST',
      `/v1/grants/${id}/revoke`,
      reason ? { reason } : {},
    )) as GrantView;
    return print(io, args, g, `revoked ${g.id} (${g.subject} on ${g.connection})`);
  },
};
