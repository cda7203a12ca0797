/**
 * The session's login step, after the client sent its token as a cleartext password:
 * identity → connection → access → audit (session.start) → upstream login with the gateway's own
 * credentials. Each refusal is a FATAL ErrorResponse the client can act on.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { chooseBrokeredRole, withBrokeredRole } from '../../../access/brokered-roles';
import type { PostgresConnectionConfig } from '../../../config/connections';
import { AuthenticationError, LoginThrottledError } from '../../../errors';
import type { Principal } from '../../../identity/principal';
import type { OperationTrace } from '../../../tracing/index';
import { publishUpstreamConnect } from '../events';
import type { PostgresSessionHooks } from '../hooks';
import type { ErrorFields } from '../wire/backend-writer';
import { ByteReader } from '../wire/byte-reader';
import type { StartupMessage } from '../wire/messages';
import { clientErrors } from './client-errors';
import {
  GATEWAY_NAMESPACE,
  StartupParameterError,
  settingAsSql,
  startupSettings,
  upstreamApplicationName,
} from './startup-settings';
import { connectUpstream, endpointOf, type UpstreamConnection, type UpstreamEndpoint } from './upstream';

export interface LoginContext {
  readonly hooks: PostgresSessionHooks;
  readonly session: string;
  readonly startup: StartupMessage;
  readonly token: string;
  readonly upstreamConnectTimeoutMs: number;
  /** The login's span when traced: each step starts its stage. */
  readonly trace?: OperationTrace;
}

export type LoginResult =
  | {
      readonly ok: true;
      readonly principal: Principal;
      readonly connection: string;
      /** The connection's config as login resolved it (masking is set up from the same one). */
      readonly config: PostgresConnectionConfig;
      /** Earliest of credential expiry and grant expiry. */
      readonly expiresAt: Date;
      /** Aborted when the grant the session runs on is revoked. */
      readonly revoked?: AbortSignal;
      readonly upstream: UpstreamConnection;
      /** For CancelRequests to the upstream. */
      readonly endpoint: UpstreamEndpoint;
      /** `warden.reason` from the startup settings: the reason shown to approvers. */
      readonly reason?: string;
      /** The application name the client asked for ('' for none): what a direct server reports back. */
      readonly clientApplication: string;
    }
  | {
      readonly ok: false;
      readonly error: ErrorFields;
      readonly principal?: Principal;
      /** Whether session.start was audited (so session.end must be too). */
      readonly started: boolean;
      readonly reason: string;
    };

export async function login(ctx: LoginContext): Promise<LoginResult> {
  const { hooks, startup } = ctx;
  const connection = startup.parameters.get('database') ?? startup.parameters.get('user') ?? '';
  const refuse = async (
    error: ErrorFields,
    reason: string,
    principal?: Principal,
    started = false,
    detail: Record<string, unknown> = {},
  ): Promise<LoginResult> => {
    if (!started) {
      await hooks
        .audit({
          type: 'session.refused',
          principal,
          connection,
          session: ctx.session,
          body: {
            reason,
            clientUser: startup.parameters.get('user') ?? '',
            clientApplication: startup.parameters.get('application_name') ?? '',
            ...detail,
          },
        })
        .catch((err: unknown) =>
          hooks.log?.({ level: 'error', message: 'audit append failed', session: ctx.session, err }),
        );
    }
    return { ok: false, error, reason, started, ...(principal ? { principal } : {}) };
  };

  let principal: Principal;
  ctx.trace?.stage('auth');
  try {
    principal = await hooks.authenticate(ctx.token);
  } catch (err) {
    if (err instanceof LoginThrottledError)
      return refuse(clientErrors.loginThrottled(err.reason), 'login-throttled');
    if (err instanceof AuthenticationError) return refuse(clientErrors.badToken(err.reason), 'bad-token');
    hooks.log?.({ level: 'error', message: 'authentication failed', session: ctx.session, err });
    return refuse(clientErrors.internal(), 'authentication-error');
  }

  const resolved = hooks.resolveConnection(connection);
  if (!resolved) return refuse(clientErrors.noConnection(connection), 'no-such-connection', principal);

  let settings: Map<string, string>;
  try {
    settings = startupSettings(startup.parameters);
  } catch (err) {
    if (!(err instanceof StartupParameterError)) throw err;
    return refuse(clientErrors.startupParameter(err.message), 'startup-parameter', principal);
  }

  let expiresAt = principal.expiresAt;
  let revoked: AbortSignal | undefined;
  ctx.trace?.stage('policy');
  try {
    const access = await hooks.authorize(principal, connection);
    if (!access.allowed) {
      const error =
        access.kind === 'not-authorized'
          ? clientErrors.notAuthorized(connection, access.reason)
          : clientErrors.noGrant(connection, access.reason);
      return refuse(error, access.kind ?? 'no-grant', principal);
    }
    if (access.expiresAt && access.expiresAt < expiresAt) expiresAt = access.expiresAt;
    revoked = access.revoked;
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'access check failed', session: ctx.session, err });
    return refuse(clientErrors.internal(), 'access-error', principal);
  }

  const refused = judgeSettings(ctx, principal, connection, settings);
  if (refused) {
    return refuse(refused.error, 'startup-parameter', principal, false, {
      parameter: refused.parameter,
      ...(refused.rule ? { rule: refused.rule } : {}),
    });
  }
  const forwarded = [...settings].filter(([name]) => !name.startsWith(GATEWAY_NAMESPACE));

  const clientUser = startup.parameters.get('user') ?? '';
  // The client's own name, as the server would take it: the top-level parameter, else `-c application_name`.
  const clientApplication = startup.parameters.get('application_name') ?? settings.get('application_name');
  const choice = chooseBrokeredRole(resolved, principal, clientUser);
  if (!choice.ok) {
    return refuse(
      clientErrors.userNotBrokered(clientUser, connection, choice.allowed),
      'user-not-brokered',
      principal,
      false,
      { allowedUsers: [...choice.allowed] },
    );
  }
  // From here on the connection is seen through the chosen role: its check, its login.
  const config = withBrokeredRole(resolved, choice.role);

  let upstreamRole: { privileges: readonly string[]; acceptedBecause: string } | undefined;
  if (config.phi && hooks.upstreamRole) {
    let privileges: readonly string[];
    try {
      privileges = await hooks.upstreamRole(config);
    } catch (err) {
      hooks.log?.({ level: 'error', message: 'upstream role check failed', session: ctx.session, err });
      return refuse(clientErrors.upstreamUnavailable(connection), 'upstream-unavailable', principal);
    }
    if (privileges.length > 0) {
      if (!config.acceptPrivilegedRole) {
        hooks.log?.({
          level: 'error',
          message: `connection "${connection}" refused: its upstream role "${config.upstream.user}" has ${privileges.join(', ')}; give it a least-privilege role or set acceptPrivilegedRole.reason`,
          session: ctx.session,
        });
        return refuse(
          clientErrors.privilegedUpstreamRole(connection),
          'privileged-upstream-role',
          principal,
          false,
          {
            privileges: [...privileges],
          },
        );
      }
      upstreamRole = { privileges, acceptedBecause: config.acceptPrivilegedRole.reason };
    }
  }

  ctx.trace?.stage('audit');
  try {
    await hooks.audit({
      type: 'session.start',
      principal,
      connection,
      session: ctx.session,
      body: {
        protocol: 'postgres',
        clientUser,
        brokeredRole: config.upstream.user,
        clientApplication: clientApplication ?? '',
        // Names only: values are the client's literals (search_path reaches facts through the upstream).
        ...(forwarded.length > 0 ? { settings: forwarded.map(([name]) => name).sort() } : {}),
        ...(upstreamRole
          ? { upstreamRole: { ...upstreamRole, privileges: [...upstreamRole.privileges] } }
          : {}),
      },
    });
  } catch (err) {
    hooks.log?.({
      level: 'error',
      message: 'audit append failed; session refused',
      session: ctx.session,
      err,
    });
    return {
      ok: false,
      error: clientErrors.auditUnavailableAtStart(),
      reason: 'audit-unavailable',
      started: false,
    };
  }

  const connectStarted = performance.now();
  ctx.trace?.stage('upstream');
  try {
    const endpoint = await endpointOf(
      config,
      (ref) => hooks.resolveSecret(ref),
      ctx.upstreamConnectTimeoutMs,
    );
    const parameters: Record<string, string> = Object.fromEntries(forwarded);
    parameters.application_name = upstreamApplicationName(clientApplication, principal.subject);
    const upstream = await connectUpstream({
      ...endpoint,
      database: config.upstream.database,
      user: config.upstream.user,
      // Resolved on every connect, so a rotated password needs no restart.
      password: await hooks.resolveSecret(config.upstream.password),
      parameters,
    });
    publishUpstreamConnect(ctx.session, connection, performance.now() - connectStarted, true);
    return {
      ok: true,
      principal,
      connection,
      config,
      expiresAt,
      ...(revoked ? { revoked } : {}),
      upstream,
      endpoint,
      ...(settings.has('warden.reason') ? { reason: settings.get('warden.reason')!.slice(0, 2000) } : {}),
      clientApplication: clientApplication ?? '',
    };
  } catch (err) {
    publishUpstreamConnect(ctx.session, connection, performance.now() - connectStarted, false);
    hooks.log?.({ level: 'error', message: 'upstream connection failed', session: ctx.session, err });
    return refuse(clientErrors.upstreamUnavailable(connection), 'upstream-unavailable', principal, true);
  }
}

/**
 * Each startup setting judged as the SET it amounts to, by the same inspector and policy as any
 * statement: the first one refused, with the client's error. A hold cannot wait at login, so a
 * setting that needs approval is refused.
 */
function judgeSettings(
  ctx: LoginContext,
  principal: Principal,
  connection: string,
  settings: ReadonlyMap<string, string>,
): { parameter: string; rule?: string; error: ErrorFields } | undefined {
  for (const [name, value] of settings) {
    if (name.startsWith(GATEWAY_NAMESPACE)) continue;
    try {
      const facts = ctx.hooks.inspect(settingAsSql(name, value), ['public']);
      const decision = ctx.hooks.decide(principal, connection, facts);
      if (decision.outcome !== 'allow') {
        const error = clientErrors.startupParameterDenied(name, decision.rule, decision.reason);
        return { parameter: name, rule: decision.rule, error };
      }
    } catch (err) {
      const lexing = (err as { code?: unknown }).code === 'ERR_SQL_LEXING_SETTING';
      if (!lexing)
        ctx.hooks.log?.({
          level: 'error',
          message: 'startup setting not inspectable',
          session: ctx.session,
          err,
        });
      const message = lexing
        ? (err as Error).message
        : `startup parameter "${name.slice(0, 63)}" could not be inspected`;
      return { parameter: name, error: clientErrors.startupParameter(message) };
    }
  }
  return undefined;
}

/**
 * The token a client sent as PasswordMessage: one non-empty NUL-terminated string, nothing else.
 * Anything else is a protocol violation (ProtocolError).
 */
export function decodeToken(body: Buffer): string {
  const r = new ByteReader(body, 0, 'PasswordMessage');
  const token = r.cstring();
  r.end();
  if (token === '') throw r.error('empty token');
  return token;
}
