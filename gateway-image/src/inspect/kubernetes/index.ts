/**
 * A Kubernetes API request → KubernetesFacts, read as the API server's authorizer reads it (verb,
 * API group, resource, subresource, namespace, name), and refused when the gateway cannot name
 * what it does: unknown API groups, paths outside the API shape, impersonation, port-forward,
 * attach and proxy subresources. An exec's command is read by the SSH command inspector, so the
 * same rules judge `kubectl exec -- rm …` and `ssh host rm …`.
 */
import { WardenError } from '../../errors';
import type { KubernetesFacts, KubernetesVerb, ShellFacts } from '../facts';
import { KubernetesInspectError } from './errors';
import { parseApiPath } from './paths';

export { KubernetesInspectError } from './errors';

export interface KubernetesRequest {
  readonly method: string;
  /** Decoded path segments relative to the connection (the route prefix removed). */
  readonly segments: readonly string[];
  /** The connection-relative path as forwarded (for discovery facts and the audit). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case header names as received. */
  readonly headerNames: readonly string[];
  /** A WebSocket (or SPDY) upgrade: the streaming subresources. */
  readonly upgrade: boolean;
}

export interface KubernetesInspectOptions {
  /** Whether a namespace holds PHI (the connection's phiNamespaces). */
  readonly isPhiNamespace: (namespace: string) => boolean;
  /** Whether the connection lists any PHI namespace (a request across namespaces touches them). */
  readonly anyPhiNamespace: boolean;
  /** API groups beyond the built-in ones that this connection serves. @default none */
  readonly extraApiGroups?: readonly string[];
  /** The SSH exec inspector, for an exec's command line. */
  readonly inspectCommand: (commandLine: string) => ShellFacts;
}

/** Kubernetes' own API groups (and metrics.k8s.io, which kubectl top reads). */
export const BUILT_IN_API_GROUPS: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'metrics.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
]);

/** Resources that live outside every namespace: a request for them touches no PHI namespace. */
const CLUSTER_SCOPED = new Set([
  'apiservices',
  'certificatesigningrequests',
  'clusterrolebindings',
  'clusterroles',
  'componentstatuses',
  'csidrivers',
  'csinodes',
  'customresourcedefinitions',
  'ingressclasses',
  'mutatingwebhookconfigurations',
  'nodes',
  'persistentvolumes',
  'priorityclasses',
  'runtimeclasses',
  'selfsubjectaccessreviews',
  'selfsubjectreviews',
  'selfsubjectrulesreviews',
  'storageclasses',
  'subjectaccessreviews',
  'tokenreviews',
  'validatingwebhookconfigurations',
]);

/** Subresources the gateway can reason about; the others are refused by name or as unknown. */
const SUBRESOURCES = new Set([
  'approval',
  'binding',
  'ephemeralcontainers',
  'eviction',
  'exec',
  'finalize',
  'log',
  'resize',
  'scale',
  'status',
  'token',
]);

const REFUSED_SUBRESOURCES: Readonly<Record<string, string>> = {
  attach:
    'kubectl attach is refused: it joins a running process, so there is no command for the gateway to inspect; use kubectl exec',
  portforward: 'port forwarding is refused: it tunnels bytes the gateway cannot inspect or mask',
  proxy: 'the proxy subresource is refused: it relays requests the gateway cannot inspect or mask',
};

const VERB_BY_METHOD: Readonly<Record<string, KubernetesVerb>> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
};

export function inspectKubernetesRequest(
  req: KubernetesRequest,
  options: KubernetesInspectOptions,
): KubernetesFacts {
  const impersonation = req.headerNames.find((h) => h.startsWith('impersonate-'));
  if (impersonation) {
    throw new KubernetesInspectError(
      `impersonation (${impersonation}) is refused: requests run with the gateway's credential on behalf of the caller Warden authenticated`,
    );
  }
  const method = req.method.toUpperCase();
  const query = [...new Set(req.query.keys())];
  const target = parseApiPath(req.segments);
  if (target.discovery) {
    if (method !== 'GET') throw new KubernetesInspectError(`${method} is not served on discovery paths`);
    return {
      protocol: 'kubernetes',
      verb: 'get',
      method,
      discovery: true,
      path: req.path,
      phiNamespace: false,
      query,
    };
  }
  const { apiGroup, resource, namespace, name, subresource } = target;
  if (!BUILT_IN_API_GROUPS.has(apiGroup) && !(options.extraApiGroups ?? []).includes(apiGroup)) {
    throw new KubernetesInspectError(
      `the API group "${apiGroup}" is not one this connection serves (add it to the connection's apiGroups)`,
    );
  }
  if (subresource !== undefined && !SUBRESOURCES.has(subresource)) {
    throw new KubernetesInspectError(
      REFUSED_SUBRESOURCES[subresource] ??
        `the subresource "${subresource}" is not one the gateway can inspect`,
    );
  }
  const streaming = subresource === 'exec';
  if (streaming !== req.upgrade) {
    throw new KubernetesInspectError(
      streaming ? 'exec is served over WebSocket only' : 'only exec is served as a streaming upgrade',
    );
  }
  const verb = verbOf(method, req, name, streaming);
  const facts: KubernetesFacts = {
    protocol: 'kubernetes',
    verb,
    method,
    discovery: false,
    path: req.path,
    apiGroup,
    apiVersion: target.apiVersion,
    resource,
    ...(subresource === undefined ? {} : { subresource }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    phiNamespace: phiNamespace(options, resource, namespace, name),
    query,
  };
  if (subresource === 'exec') return { ...facts, ...execFacts(req.query, options) };
  if (subresource === 'log') {
    const container = req.query.get('container');
    return container === null ? facts : { ...facts, container };
  }
  return facts;
}

function verbOf(
  method: string,
  req: KubernetesRequest,
  name: string | undefined,
  streaming: boolean,
): KubernetesVerb {
  // Exec runs a process whichever method carried it (a WebSocket upgrade is a GET): create, as
  // the API server authorizes it since Kubernetes 1.31.
  if (streaming) return 'create';
  if (method === 'GET') {
    const watch = req.query.get('watch');
    if (watch === 'true' || watch === '1') return 'watch';
    return name === undefined ? 'list' : 'get';
  }
  if (method === 'DELETE') return name === undefined ? 'deletecollection' : 'delete';
  const verb = VERB_BY_METHOD[method];
  if (!verb) throw new KubernetesInspectError(`the method ${method} is not served`);
  return verb;
}

function phiNamespace(
  o: KubernetesInspectOptions,
  resource: string,
  namespace: string | undefined,
  name: string | undefined,
): boolean {
  if (namespace !== undefined) return o.isPhiNamespace(namespace);
  if (resource === 'namespaces') return name === undefined ? o.anyPhiNamespace : o.isPhiNamespace(name);
  // Without a namespace a namespaced resource is read or changed in all of them.
  return CLUSTER_SCOPED.has(resource) ? false : o.anyPhiNamespace;
}

/** Quotes one argument so a POSIX shell reads it back as exactly this word (exec runs argv as is). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function execFacts(
  query: URLSearchParams,
  o: KubernetesInspectOptions,
): Pick<KubernetesFacts, 'command' | 'container' | 'stdin' | 'tty'> {
  const argv = query.getAll('command');
  if (argv.length === 0 || argv[0] === '') throw new KubernetesInspectError('exec names no command');
  let command: ShellFacts;
  try {
    command = o.inspectCommand(argv.map(shellQuote).join(' '));
  } catch (err) {
    if (err instanceof WardenError) {
      throw new KubernetesInspectError(`the exec command cannot be inspected (${err.message})`);
    }
    throw err;
  }
  const container = query.get('container');
  return {
    command,
    ...(container === null ? {} : { container }),
    stdin: flag(query.get('stdin')),
    tty: flag(query.get('tty')),
  };
}

function flag(v: string | null): boolean {
  return v === 'true' || v === '1';
}
