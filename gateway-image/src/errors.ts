/**
 * Internal errors. Every error Warden raises on purpose is a WardenError with a stable `code`
 * that logs, tests and the CLI can match on, and an optional `cause`. What a client sees
 * (a Postgres ErrorResponse, an SSH reject, an HTTP problem document) is built separately by each
 * protocol adapter from the code; internal messages are never sent to clients as they are.
 */
export class WardenError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The configuration is invalid; `issues` lists every problem found, each naming its path. */
export class ConfigError extends WardenError {
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super('ERR_CONFIG_INVALID', message, options);
    this.issues = issues;
  }
}

/** A secret reference could not be resolved. The message names the reference, never its value. */
export class SecretError extends WardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SECRET_UNRESOLVED', message, options);
  }
}

/** A credential was refused. `reason` is safe to show to the client that presented it. */
export class AuthenticationError extends WardenError {
  readonly reason: string;

  constructor(code: string, reason: string, options?: { cause?: unknown }) {
    super(code, reason, options);
    this.reason = reason;
  }
}

/**
 * Logins from the client's source are refused for a while after too many failures
 * (identity/login-throttle.ts); the credential was not checked.
 */
export class LoginThrottledError extends AuthenticationError {
  constructor(readonly retryAfterSec: number) {
    super('ERR_LOGIN_THROTTLED', `too many failed logins from your address; try again in ${retryAfterSec} s`);
  }
}

/** The audit log could not record an event; the command it describes must be refused. */
export class AuditError extends WardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_AUDIT_UNAVAILABLE', message, options);
  }
}

/** A short, safe description of an unknown thrown value: never a stack. */
export function describeError(err: unknown): string {
  if (err instanceof WardenError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
