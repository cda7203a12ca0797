/**
 * `warden approvals list|show|approve|deny`: the admin API's approval routes from a terminal.
 * The caller's token is read from an environment variable (never a flag), like `warden login`.
 */
import { WardenError } from '../../errors';
import { isLoopbackUrl } from '../../identity/loopback';
import {
  type Command,
  type CommandIO,
  optionalString,
  type ParsedCommand,
  requireString,
  secretFromEnv,
  UsageError,
} from '../command';

export const adminFlags = {
  'admin-url': { type: 'string' },
  'token-env': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const ADMIN_FLAGS_HELP = `  --admin-url URL     the gateway's admin API (default $WARDEN_ADMIN_URL)
  --token-env VAR     environment variable holding your OIDC or Warden token (default WARDEN_TOKEN)
  --json              print the API's JSON instead of a summary`;

/** Calls the admin API; a problem document becomes an error carrying its detail. */
export async function adminRequest(
  args: ParsedCommand,
  io: CommandIO,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const base = optionalString(args, 'admin-url') ?? io.env.WARDEN_ADMIN_URL;
  if (!base) throw new UsageError('--admin-url is required (or set WARDEN_ADMIN_URL)');
  const url = parseUrl(path, base);
  // The token travels in the request: never over plain HTTP beyond this machine (as `warden login`).
  if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url)))) {
    throw new UsageError(`--admin-url must be an https URL (plain http is loopback-only), found "${base}"`);
  }
  const token = secretFromEnv(args, io, 'token-env', 'WARDEN_TOKEN');
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new WardenError('ERR_ADMIN_API', `the admin API at ${url.origin} is unreachable`, { cause: err });
  }
  const json = (await res.json().catch(() => undefined)) as { detail?: string; code?: string } | undefined;
  if (!res.ok) {
    throw new WardenError(
      json?.code ?? 'ERR_ADMIN_API',
      json?.detail ?? `the admin API answered ${res.status}`,
    );
  }
  return json;
}

function parseUrl(path: string, base: string): URL | undefined {
  try {
    return new URL(path, base);
  } catch {
    return undefined;
  }
}

export function print(io: CommandIO, args: ParsedCommand, value: unknown, summary: string): number {
  io.stdout.write(args.values.json ? `${JSON.stringify(value, null, 2)}\n` : `${summary}\n`);
  return 0;
}

interface ApprovalView {
  id: string;
  kind: string;
  status: string;
  requester: { subject: string; kind: string };
  connection: string;
  rule: string;
  command?: string;
  reason?: string;
  durationMs?: number;
  expiresAt: string;
  votes: { approver: { subject: string }; verdict: string; justification: string }[];
}

function line(r: ApprovalView): string {
  const what = r.kind === 'access' ? `access ${Math.round((r.durationMs ?? 0) / 60_000)}m` : r.rule;
  return `${r.id}  ${r.status.padEnd(9)} ${r.requester.kind} ${r.requester.subject}  ${r.connection}  ${what}`;
}

export const approvalsList: Command = {
  path: ['approvals', 'list'],
  summary: 'List approval requests you can see (pending by default)',
  help: `Usage: warden approvals list [--status pending|approved|denied|expired|abandoned|all] [flags]

${ADMIN_FLAGS_HELP}`,
  options: { ...adminFlags, status: { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const status = optionalString(args, 'status') ?? 'pending';
    const query = status === 'all' ? '' : `?status=${encodeURIComponent(status)}`;
    const out = (await adminRequest(args, io, 'GET', `/v1/approvals${query}`)) as {
      approvals: ApprovalView[];
    };
    const summary = out.approvals.length === 0 ? 'no approval requests' : out.approvals.map(line).join('\n');
    return print(io, args, out, summary);
  },
};

export const approvalsShow: Command = {
  path: ['approvals', 'show'],
  summary: 'Show one approval request with its command, facts and votes',
  help: `Usage: warden approvals show ID [flags]

${ADMIN_FLAGS_HELP}`,
  options: adminFlags,
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(args, io) {
    const r = (await adminRequest(
      args,
      io,
      'GET',
      `/v1/approvals/${encodeURIComponent(args.positionals[0]!)}`,
    )) as ApprovalView;
    const lines = [line(r)];
    if (r.command) lines.push(`command: ${r.command}`);
    if (r.reason) lines.push(`reason:  ${r.reason}`);
    lines.push(`expires: ${r.expiresAt}`);
    for (const v of r.votes) lines.push(`${v.verdict} by ${v.approver.subject}: ${v.justification}`);
    return print(io, args, r, lines.join('\n'));
  },
};

function decision(verdict: 'approve' | 'deny'): Command {
  return {
    path: ['approvals', verdict],
    summary:
      verdict === 'approve'
        ? 'Approve a held command or access request'
        : 'Deny a held command or access request',
    help: `Usage: warden approvals ${verdict} ID --justification TEXT${verdict === 'approve' ? ' [--window MINUTES]' : ''} [flags]

  --justification TEXT  why (required; recorded in the audit log)${
    verdict === 'approve'
      ? '\n  --window MINUTES      approve matching commands for this long, not just this one'
      : ''
  }
${ADMIN_FLAGS_HELP}`,
    options: {
      ...adminFlags,
      justification: { type: 'string' },
      ...(verdict === 'approve' ? { window: { type: 'string' } } : {}),
    },
    positionals: { min: 1, max: 1, names: 'ID' },
    async run(args, io) {
      const justification = requireString(args, 'justification');
      const window = optionalString(args, 'window');
      const minutes = window === undefined ? undefined : Number(window);
      if (minutes !== undefined && (!Number.isFinite(minutes) || minutes <= 0)) {
        throw new UsageError(`--window expects a positive number of minutes, found "${window}"`);
      }
      const body = {
        verdict,
        justification,
        ...(minutes === undefined ? {} : { scope: 'window', windowMs: Math.round(minutes * 60_000) }),
      };
      const id = args.positionals[0]!;
      const r = (await adminRequest(
        args,
        io,
        'POST',
        `/v1/approvals/${encodeURIComponent(id)}/decision`,
        body,
      )) as ApprovalView;
      return print(io, args, r, line(r));
    },
  };
}

export const approvalsApprove = decision('approve');
export const approvalsDeny = decision('deny');
