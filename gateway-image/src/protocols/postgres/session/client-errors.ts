/**
 * What a client sees when the gateway refuses something: ErrorResponse fields built from a fixed
 * vocabulary, never from an internal error's message. SQLSTATEs follow
 * https://www.postgresql.org/docs/current/errcodes-appendix.html so clients react as they would to
 * a real server (psql keeps the session after ERROR, ends it after FATAL).
 */
import { LEXING_SETTINGS } from '../../../inspect/sql/settings';
import { ACCESS_ENDED_TEXT, type Termination, terminationText } from '../../live-session';
import type { ErrorFields } from '../wire/backend-writer';

export const SqlState = {
  ConnectionFailure: '08006',
  SqlclientUnableToEstablishSqlconnection: '08001',
  ProtocolViolation: '08P01',
  ProgramLimitExceeded: '54000',
  FeatureNotSupported: '0A000',
  InvalidAuthorizationSpecification: '28000',
  InvalidPassword: '28P01',
  SyntaxError: '42601',
  InsufficientPrivilege: '42501',
  CantChangeRuntimeParam: '55P02',
  CharacterNotInRepertoire: '22021',
  AdminShutdown: '57P01',
  IoError: '58030',
  SystemError: '58000',
  InternalError: 'XX000',
} as const;

const fatal = (code: string, message: string, hint?: string): ErrorFields => ({
  severity: 'FATAL',
  code,
  message,
  ...(hint ? { hint } : {}),
});

const error = (code: string, message: string, hint?: string, position?: number): ErrorFields => ({
  severity: 'ERROR',
  code,
  message,
  ...(hint ? { hint } : {}),
  ...(position ? { position } : {}),
});

export const clientErrors = {
  tlsRequired: () =>
    fatal(
      SqlState.InvalidAuthorizationSpecification,
      'Warden requires an encrypted connection',
      'Connect with sslmode=require (or verify-full).',
    ),
  protocolViolation: () => fatal(SqlState.ProtocolViolation, 'protocol violation'),
  statementTooLong: (bytes: number, limit: number) =>
    fatal(
      SqlState.ProgramLimitExceeded,
      `Warden inspects every statement before it runs and takes statements of up to ${limit} bytes; this one has ${bytes}`,
      'Send fewer rows per statement (COPY … FROM STDIN for bulk loads), or raise listeners.postgres.maxStatementBytes.',
    ),
  badToken: (reason: string) =>
    fatal(
      SqlState.InvalidPassword,
      `Warden could not verify your token: ${reason}`,
      'Send a fresh token as the password.',
    ),
  loginThrottled: (reason: string) =>
    fatal(
      SqlState.InvalidAuthorizationSpecification,
      `Warden refused this login: ${reason}`,
      'Logins from this address failed too often; wait, then log in with a valid token.',
    ),
  noConnection: (name: string) =>
    fatal(
      SqlState.InvalidAuthorizationSpecification,
      `no Warden connection named "${name}"`,
      'Set the database name to the Warden connection you want to reach.',
    ),
  notAuthorized: (name: string, reason: string) =>
    fatal(SqlState.InvalidAuthorizationSpecification, `not authorized for connection "${name}": ${reason}`),
  /** The names are not secret: they are what the client may type instead. */
  userNotBrokered: (user: string, connection: string, allowed: readonly string[]) =>
    fatal(
      SqlState.InvalidAuthorizationSpecification,
      `user name "${user.slice(0, 63)}" is not a role Warden brokers for you on connection "${connection}"`,
      `Connect with one of these user names: ${allowed.map((n) => `"${n}"`).join(', ')}.`,
    ),
  noGrant: (name: string, reason: string) =>
    fatal(
      SqlState.InsufficientPrivilege,
      `no grant for connection "${name}": ${reason}`,
      'Ask for access to this connection (standing or just-in-time grant).',
    ),
  startupParameter: (message: string) =>
    fatal(
      SqlState.CantChangeRuntimeParam,
      `Warden refused a startup parameter: ${message}`,
      'Remove it from the connection string (options, PGOPTIONS) and connect again.',
    ),
  startupParameterDenied: (name: string, rule: string, reason: string) =>
    fatal(
      SqlState.InsufficientPrivilege,
      `startup parameter "${name.slice(0, 63)}" refused by Warden policy rule "${rule}": ${reason}`,
      'Remove it from the connection string (options, PGOPTIONS) and connect again.',
    ),
  /** Details (role name, privileges) go to the gateway log and audit, not to the client. */
  privilegedUpstreamRole: (name: string) =>
    fatal(
      SqlState.InsufficientPrivilege,
      `Warden refuses to serve connection "${name}": the database role behind it has server-level privileges a PHI connection must not have`,
      'Ask the platform team to give the connection a least-privilege role (the gateway log names the privileges).',
    ),
  upstreamUnavailable: (name: string) =>
    fatal(
      SqlState.SqlclientUnableToEstablishSqlconnection,
      `Warden could not connect to the database behind "${name}"`,
      'Try again later; the gateway log has the details.',
    ),
  auditUnavailableAtStart: () => fatal(SqlState.SystemError, 'audit log unavailable; session refused'),
  credentialExpired: () =>
    fatal(
      SqlState.InvalidAuthorizationSpecification,
      ACCESS_ENDED_TEXT['credential-expired'],
      'Reconnect with a fresh token.',
    ),
  grantRevoked: () =>
    fatal(
      SqlState.InsufficientPrivilege,
      ACCESS_ENDED_TEXT['grant-revoked'],
      'Request access again if you still need it.',
    ),
  /** 57P01, as PostgreSQL's own pg_terminate_backend: clients treat it as an administrator's act. */
  terminated: (t: Termination) =>
    fatal(SqlState.AdminShutdown, `Warden ${terminationText(t)}`, 'Reconnect if you still need access.'),
  /** The upstream session lexes SQL differently from the gateway's parser: nothing is relayed. */
  upstreamLexing: (setting: string, value: string) =>
    fatal(
      SqlState.CantChangeRuntimeParam,
      `Warden ended the session: the database reports ${setting} = ${value}, and Warden reads SQL as the server does only with ${LEXING_SETTINGS[setting]?.standard ?? 'its standard settings'}`,
      'Remove the setting from the role, database or server configuration (ALTER ROLE … RESET, ALTER DATABASE … RESET).',
    ),
  inspectionMismatch: () =>
    fatal(
      SqlState.InternalError,
      'Warden ended the session: the database reported a statement Warden did not inspect',
      'The event is in the audit log as inspection.mismatch; reconnect to continue.',
    ),
  upstreamClosed: () => fatal(SqlState.ConnectionFailure, 'the database behind Warden closed the connection'),
  shuttingDown: () => fatal(SqlState.AdminShutdown, 'Warden gateway is shutting down'),
  internal: () => fatal(SqlState.InternalError, 'internal gateway error; see the Warden gateway log'),

  denied: (rule: string, reason: string) =>
    error(
      SqlState.InsufficientPrivilege,
      `statement denied by Warden policy rule "${rule}": ${reason}`,
      'The session is still usable; change the statement or ask for access.',
    ),
  approvalRequired: (rule: string, reason: string) =>
    error(
      SqlState.InsufficientPrivilege,
      `statement requires approval under Warden policy rule "${rule}": ${reason}`,
      'Approval holds are not available on this gateway yet; ask an approver for a grant instead.',
    ),
  syntax: (message: string, position: number | undefined) =>
    error(SqlState.SyntaxError, message, undefined, position),
  /** 55P02, as PostgreSQL answers a setting that cannot be changed now. `message` is the inspector's fixed text. */
  lexingSetting: (message: string) =>
    error(
      SqlState.CantChangeRuntimeParam,
      `statement refused: ${message}`,
      'The session is still usable; the setting keeps its value.',
    ),
  invalidUtf8: () =>
    error(
      SqlState.CharacterNotInRepertoire,
      'statement refused: its text is not valid UTF-8',
      'Warden sessions use client_encoding UTF8; send the statement in UTF-8.',
    ),
  notInspectable: () =>
    error(SqlState.InsufficientPrivilege, 'statement refused: Warden could not inspect it', undefined),
  policyError: () =>
    error(
      SqlState.InternalError,
      'statement refused: Warden could not evaluate its policy; see the Warden gateway log',
    ),
  auditUnavailable: () => error(SqlState.SystemError, 'audit log unavailable; statement refused'),
  functionCall: () =>
    error(
      SqlState.FeatureNotSupported,
      'the fast-path function call protocol is not allowed through Warden',
      'Call the function from a SQL statement instead.',
    ),
};
