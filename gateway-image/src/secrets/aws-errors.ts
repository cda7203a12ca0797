/** What the AWS SDK v3 puts on the errors it throws, as far as Warden relies on it. */
interface AwsSdkError {
  readonly name: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** The HTTP status AWS answered with, or undefined when no answer arrived (network, timeout). */
export function awsHttpStatus(err: unknown): number | undefined {
  return (err as AwsSdkError | undefined)?.$metadata?.httpStatusCode;
}

/**
 * The AWS error code (ResourceNotFoundException, AccessDeniedException, PreconditionFailed, …) with
 * its HTTP status, or the kind of local failure: enough for an operator, and never message text,
 * which is AWS's to word and could one day quote a request.
 */
export function awsErrorName(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const name = /^[A-Za-z][A-Za-z0-9.]{0,80}$/.test(err.name) ? err.name : 'Error';
  if (name === 'AbortError' || name === 'TimeoutError') return 'timed out';
  const status = awsHttpStatus(err);
  if (status) return `${name} (HTTP ${status})`;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]{2,20}$/.test(code) ? `${name} ${code}` : name;
}
