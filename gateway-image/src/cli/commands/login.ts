import { readFile } from 'node:fs/promises';
import { login } from '../../identity/login';
import { type Command, optionalString, requireString, secretFromEnv, UsageError } from '../command';

export const loginCommand: Command = {
  path: ['login'],
  summary: 'Exchange an OIDC token or agent client credentials for a Warden session token',
  help: `Usage: warden login --admin-url URL (--token-env VAR | --issuer URL --client-id ID --client-secret-env VAR)
                    [--resource URI] [--scope S] [--ttl SECONDS] [--ca FILE] [--json | --exec-credential]

Prints a short-lived Warden session token on stdout (use it as the Postgres password, the SSH
password or an HTTP bearer token). Secrets are read from environment variables, never from flags,
so they do not appear in the process list or shell history.

  --admin-url URL           the gateway's admin API
  --token-env VAR           an OIDC token you already hold, in environment variable VAR (humans)
  --issuer URL              OIDC issuer for the client-credentials grant (agents)
  --client-id ID            the agent's OIDC client id
  --client-secret-env VAR   environment variable holding the client secret
  --resource URI            resource indicator (RFC 8707), usually the gateway's audience
  --scope S                 space-separated scopes to request
  --ttl SECONDS             requested lifetime (the gateway caps it; default 15 min, at most 1 h)
  --ca FILE                 PEM CA bundle to trust for the admin API
  --json                    print {"token","expiresAt"} instead of the bare token
  --exec-credential         print a Kubernetes ExecCredential (kubectl's exec plugin; see warden kubeconfig)`,
  options: {
    'admin-url': { type: 'string' },
    'token-env': { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-env': { type: 'string' },
    resource: { type: 'string' },
    scope: { type: 'string' },
    ttl: { type: 'string' },
    ca: { type: 'string' },
    json: { type: 'boolean' },
    'exec-credential': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const adminUrl = requireString(args, 'admin-url');
    const tokenEnv = optionalString(args, 'token-env');
    const issuer = optionalString(args, 'issuer');
    if ((tokenEnv === undefined) === (issuer === undefined)) {
      throw new UsageError(
        'give either --token-env (an OIDC token you hold) or --issuer with client credentials, not both',
      );
    }
    const ttl = optionalString(args, 'ttl');
    const ttlSeconds = ttl === undefined ? undefined : Number(ttl);
    if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)) {
      throw new UsageError(`--ttl expects a positive number of seconds, found "${ttl}"`);
    }
    const caFile = optionalString(args, 'ca');
    const result = await login({
      adminUrl,
      ttlSeconds,
      ca: caFile === undefined ? undefined : await readFile(caFile),
      ...(tokenEnv !== undefined
        ? { oidcToken: secretFromEnv(args, io, 'token-env') }
        : {
            clientCredentials: {
              issuer: issuer!,
              clientId: requireString(args, 'client-id'),
              clientSecret: secretFromEnv(args, io, 'client-secret-env'),
              resource: optionalString(args, 'resource'),
              scope: optionalString(args, 'scope'),
            },
          }),
    });
    if (args.values['exec-credential']) {
      io.stdout.write(`${JSON.stringify(execCredential(result.token, result.expiresAt))}\n`);
      return 0;
    }
    io.stdout.write(
      args.values.json
        ? `${JSON.stringify({ token: result.token, expiresAt: result.expiresAt.toISOString() })}\n`
        : `${result.token}\n`,
    );
    return 0;
  },
};

/** What kubectl's exec credential plugin protocol expects on stdout (client.authentication.k8s.io/v1). */
export function execCredential(token: string, expiresAt: Date) {
  return {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    // kubectl runs the plugin again shortly before this time.
    status: { token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}
