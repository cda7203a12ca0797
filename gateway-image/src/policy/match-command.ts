import type { HttpFacts, ShellFacts } from '../inspect/facts';
import { nameMatcher, pathMatcher, programMatcher } from './glob';
import type { HttpMatchConfig, SshMatchConfig } from './types';

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
