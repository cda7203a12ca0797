import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CONNECTION_NAME } from '../../config/connections';
import { type Command, optionalString, requireString, UsageError } from '../command';

export const kubeconfigCommand: Command = {
  path: ['kubeconfig'],
  summary: 'Print a kubeconfig that points kubectl at a Kubernetes connection through the gateway',
  help: `Usage: warden kubeconfig --connection NAME --server URL --admin-url URL
                         (--token-env VAR | --issuer URL --client-id ID --client-secret-env VAR)
                         [--ca FILE] [--namespace NS] [--path-prefix /P] [--resource URI] [--scope S] [--ttl SECONDS]

Prints a kubeconfig (YAML) on stdout for stock kubectl and client libraries. Its user has no token:
kubectl runs "warden login … --exec-credential" as an exec credential plugin whenever it needs one,
which exchanges your OIDC token (humans) or the agent's client credentials for a short-lived
Warden session token. Secrets stay in environment variables that kubectl passes to the plugin;
the kubeconfig names the variables, never their values.

  --connection NAME         the Kubernetes connection (the context, cluster and user are named after it)
  --server URL              the gateway's Kubernetes listener, e.g. https://warden.internal:6443
  --admin-url URL           the gateway's admin API, where warden login gets tokens
  --token-env VAR           environment variable holding your OIDC token (humans)
  --issuer URL              OIDC issuer for the client-credentials grant (agents)
  --client-id ID            the agent's OIDC client id
  --client-secret-env VAR   environment variable holding the client secret
  --ca FILE                 PEM CA bundle of the gateway's certificate (embedded; also used by warden login)
  --namespace NS            the context's default namespace
  --path-prefix /P          the connection's route.pathPrefix (default /NAME)
  --resource URI, --scope S, --ttl SECONDS   passed to warden login`,
  options: {
    connection: { type: 'string' },
    server: { type: 'string' },
    'admin-url': { type: 'string' },
    'token-env': { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-env': { type: 'string' },
    ca: { type: 'string' },
    namespace: { type: 'string' },
    'path-prefix': { type: 'string' },
    resource: { type: 'string' },
    scope: { type: 'string' },
    ttl: { type: 'string' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const connection = requireString(args, 'connection');
    if (!CONNECTION_NAME.test(connection))
      throw new UsageError(`--connection "${connection}" is not a connection name`);
    const server = new URL(requireString(args, 'server'));
    if (server.protocol !== 'https:') throw new UsageError('--server must be an https:// URL');
    const adminUrl = requireString(args, 'admin-url');
    const tokenEnv = optionalString(args, 'token-env');
    const issuer = optionalString(args, 'issuer');
    if ((tokenEnv === undefined) === (issuer === undefined)) {
      throw new UsageError(
        'give either --token-env (an OIDC token you hold) or --issuer with client credentials, not both',
      );
    }
    const caFile = optionalString(args, 'ca');
    const ca = caFile === undefined ? undefined : await readFile(caFile);
    const prefix = optionalString(args, 'path-prefix') ?? `/${connection}`;
    if (!prefix.startsWith('/')) throw new UsageError('--path-prefix must start with /');
    const login = [
      'login',
      '--admin-url',
      adminUrl,
      ...(tokenEnv !== undefined
        ? ['--token-env', tokenEnv]
        : [
            '--issuer',
            issuer!,
            '--client-id',
            requireString(args, 'client-id'),
            '--client-secret-env',
            requireString(args, 'client-secret-env'),
          ]),
      ...flag(args, 'resource'),
      ...flag(args, 'scope'),
      ...flag(args, 'ttl'),
      ...(caFile === undefined ? [] : ['--ca', resolve(caFile)]),
      '--exec-credential',
    ];
    const namespace = optionalString(args, 'namespace');
    io.stdout.write(
      renderKubeconfig({
        name: connection,
        server: `${server.origin}${server.pathname.replace(/\/+$/, '')}${prefix.replace(/\/+$/, '')}`,
        ...(ca ? { caData: ca.toString('base64') } : {}),
        ...(namespace ? { namespace } : {}),
        // The running warden (node and its script), so the plugin is the same version as this command.
        command: process.execPath,
        args: [resolve(process.argv[1] ?? 'warden'), ...login],
      }),
    );
    return 0;
  },
};

function flag(args: Parameters<Command['run']>[0], name: string): string[] {
  const v = optionalString(args, name);
  return v === undefined ? [] : [`--${name}`, v];
}

interface KubeconfigInput {
  readonly name: string;
  readonly server: string;
  readonly caData?: string;
  readonly namespace?: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** YAML with every string JSON-quoted (a JSON string is a YAML double-quoted scalar). */
export function renderKubeconfig(k: KubeconfigInput): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(k.name)}`,
    '  cluster:',
    `    server: ${q(k.server)}`,
    ...(k.caData ? [`    certificate-authority-data: ${q(k.caData)}`] : []),
    'users:',
    `- name: ${q(`warden-${k.name}`)}`,
    '  user:',
    '    exec:',
    '      apiVersion: client.authentication.k8s.io/v1',
    `      command: ${q(k.command)}`,
    '      args:',
    ...k.args.map((a) => `      - ${q(a)}`),
    '      interactiveMode: Never',
    '      provideClusterInfo: false',
    'contexts:',
    `- name: ${q(k.name)}`,
    '  context:',
    `    cluster: ${q(k.name)}`,
    `    user: ${q(`warden-${k.name}`)}`,
    ...(k.namespace ? [`    namespace: ${q(k.namespace)}`] : []),
    `current-context: ${q(k.name)}`,
    '',
  ].join('\n');
}
