/**
 * Kubernetes API paths → what they address, as the API server's request-info resolver reads them
 * (k8s.io/apiserver RequestInfoFactory): discovery paths, then
 *   /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 *   /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 * Anything else (the deprecated /watch/ and /proxy/ prefixes, /logs, /metrics, /debug, health
 * endpoints) is refused here: the gateway passes on only what it can name.
 */
import { KubernetesInspectError } from './errors';

export type ApiPath =
  | { readonly discovery: true }
  | {
      readonly discovery: false;
      readonly apiGroup: string;
      readonly apiVersion: string;
      readonly resource: string;
      readonly namespace?: string;
      readonly name?: string;
      readonly subresource?: string;
    };

/** Kubernetes names: DNS labels and subdomains, plus the `:` some RBAC objects carry (system:…). */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.:@]*[A-Za-z0-9])?$/;
const RESOURCE = /^[a-z][a-z0-9]*$/;
const VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;
const GROUP = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Discovery documents kubectl reads before anything else; read-only, no objects in them. */
function isDiscovery(segs: readonly string[]): boolean {
  const [a, b, c, d] = segs;
  if (segs.length === 1 && (a === 'version' || a === 'api' || a === 'apis')) return true;
  if (a === 'api' && segs.length === 2 && VERSION.test(b!)) return true;
  if (a === 'apis' && segs.length === 2 && GROUP.test(b!)) return true;
  if (a === 'apis' && segs.length === 3 && GROUP.test(b!) && VERSION.test(c!)) return true;
  // kubectl explain and client-side apply read the OpenAPI documents.
  if (a === 'openapi' && (b === 'v2' || b === 'v3') && segs.length === 2) return true;
  if (a === 'openapi' && b === 'v3' && c === 'api' && segs.length === 4 && VERSION.test(d!)) return true;
  if (a === 'openapi' && b === 'v3' && c === 'apis' && segs.length === 5) {
    return GROUP.test(d!) && VERSION.test(segs[4]!);
  }
  return false;
}

/** `segs` are the decoded path segments relative to the connection. */
export function parseApiPath(segs: readonly string[]): ApiPath {
  if (isDiscovery(segs)) return { discovery: true };
  let rest: readonly string[];
  let apiGroup: string;
  let apiVersion: string;
  if (segs[0] === 'api' && segs[1] === 'v1') {
    apiGroup = '';
    apiVersion = 'v1';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4 && GROUP.test(segs[1]!) && VERSION.test(segs[2]!)) {
    apiGroup = segs[1]!;
    apiVersion = segs[2]!;
    rest = segs.slice(3);
  } else {
    throw new KubernetesInspectError(
      'the path is not a Kubernetes API resource path (/api/v1/… or /apis/<group>/<version>/…)',
    );
  }
  if (rest[0] === 'watch' || rest[0] === 'proxy') {
    throw new KubernetesInspectError(`the deprecated /${rest[0]}/ paths are not served; use ?watch=true`);
  }
  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}…; /namespaces/{name}[/{sub}] is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (resource === undefined || !RESOURCE.test(resource)) {
    throw new KubernetesInspectError('the path names no resource');
  }
  if (extra.length > 0) {
    throw new KubernetesInspectError(
      `paths below a subresource (${subresource}/${extra.join('/')}) are not served: proxy-style paths cannot be inspected`,
    );
  }
  for (const n of [namespace, name]) {
    if (n !== undefined && !NAME.test(n)) throw new KubernetesInspectError('a name in the path is not valid');
  }
  if (subresource !== undefined && !RESOURCE.test(subresource)) {
    throw new KubernetesInspectError('the subresource is not valid');
  }
  return {
    discovery: false,
    apiGroup,
    apiVersion,
    resource,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  };
}
