import type { HttpFacts, KubernetesFacts, ShellFacts } from '../inspect/facts';
import { nameMatcher, pathMatcher, programMatcher } from './glob';
import type { HttpMatchConfig, KubernetesMatchConfig, SshMatchConfig } from './types';

/** A compiled `ssh` match block: every field given must match. */
export function compileSshMatch(m: SshMatchConfig): (f: ShellFacts) => boolean {
  const programs = m.programs ? programMatcher(m.programs) : undefined;
  const subsystems = m.subsystems ? nameMatcher(m.subsystems) : undefined;
  return (f) =>
    (m.modes === undefined || m.modes.includes(f.mode)) &&
    (programs === undefined || f.programs.some(programs)) &&
    // A command line using any of the listed shell features.
    (m.features === undefined || f.features.some((x) => m.features!.includes(x))) &&
    (subsystems === undefined || (f.subsystem !== undefined && subsystems(f.subsystem)));
}

/** A compiled `http` match block: every field given must match. */
export function compileHttpMatch(m: HttpMatchConfig): (f: HttpFacts) => boolean {
  const methods = m.methods?.map((x) => x.toUpperCase());
  const paths = m.paths ? pathMatcher(m.paths) : undefined;
  return (f) =>
    (methods === undefined || methods.includes(f.method.toUpperCase())) &&
    (paths === undefined || paths(f.path)) &&
    (m.minBodyBytes === undefined || f.bodyBytes >= m.minBodyBytes);
}

/** Kubernetes names glob whole (`*` any run), case-sensitive like the API; `""` is the core group. */
function globs(patterns: readonly string[]): (value: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return (value) => res.some((re) => re.test(value));
}

/**
 * A compiled `kubernetes` match block: every field given must match. A request across every
 * namespace matches any namespace pattern (it reads them all); a request without a resource
 * (discovery) matches no resource, subresource or name pattern.
 */
export function compileKubernetesMatch(m: KubernetesMatchConfig): (f: KubernetesFacts) => boolean {
  const groups = m.apiGroups ? globs(m.apiGroups) : undefined;
  const resources = m.resources ? globs(m.resources) : undefined;
  const subresources = m.subresources ? globs(m.subresources) : undefined;
  const namespaces = m.namespaces ? globs(m.namespaces) : undefined;
  const names = m.names ? globs(m.names) : undefined;
  return (f) =>
    (m.verbs === undefined || m.verbs.includes(f.verb)) &&
    (m.discovery === undefined || m.discovery === f.discovery) &&
    (m.phiNamespace === undefined || m.phiNamespace === f.phiNamespace) &&
    (groups === undefined || (f.apiGroup !== undefined && groups(f.apiGroup))) &&
    (resources === undefined || (f.resource !== undefined && resources(f.resource))) &&
    (subresources === undefined || (f.subresource !== undefined && subresources(f.subresource))) &&
    (namespaces === undefined || namespaceMatches(f, namespaces)) &&
    (names === undefined || (f.name !== undefined && names(f.name)));
}

function namespaceMatches(f: KubernetesFacts, namespaces: (value: string) => boolean): boolean {
  if (f.namespace !== undefined) return namespaces(f.namespace);
  // A namespace object is named by its own name; other requests without one span every namespace.
  if (f.resource === 'namespaces' && f.name !== undefined) return namespaces(f.name);
  return f.resource !== undefined && !f.discovery;
}
