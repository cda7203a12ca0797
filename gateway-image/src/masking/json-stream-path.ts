/**
 * Field paths for the streaming JSON rewriter: a small JSONPath subset, compiled to a tiny NFA so
 * the rewriter can follow every path one key at a time without ever holding the document.
 *
 *   $                 the root (optional: `entry[*].name` means `$.entry[*].name`)
 *   .name  ['name']   an object member
 *   .*                any object member
 *   [*]               any array element;  [3]  element 3
 *   ..name  ..*  ..[*]  the step at any depth below (recursive descent)
 *
 * A path that reaches an object or array classifies every value beneath it, except the members
 * named in `codeMembers` (and everything under them): code-valued members such as FHIR's `use`,
 * `system` or `period`, which say what kind of name or number a value is and identify no one.
 * Those are left to the detectors, like any unclassified string. A path that names such a member
 * itself still classifies it.
 */
import { WardenError } from '../errors';

type Step =
  | { readonly t: 'key'; readonly name: string }
  | { readonly t: 'anyKey' }
  | { readonly t: 'index'; readonly index?: number }
  /** Zero or more levels of anything (the `..` of recursive descent). */
  | { readonly t: 'descend' };

const NAME = '[A-Za-z_][\\w-]*';
const BRACKET = `\\[(?:\\*|\\d+|'[^']*'|"[^"]*")\\]`;
const ONE_STEP = `(?:\\.\\.?(?:${NAME}|\\*)|(?:\\.\\.)?${BRACKET})`;
/** The syntax of a field path; exported so the config schema checks paths at synth time. */
export const FIELD_PATH_PATTERN = new RegExp(`^(?:\\$${ONE_STEP}+|(?:${NAME}|\\*)${ONE_STEP}*)$`);
const STEP = new RegExp(`(\\.\\.)?(?:\\.?(${NAME}|\\*)|\\[(\\*|\\d+|'[^']*'|"[^"]*")\\])`, 'y');

export function parseFieldPath(path: string): Step[] {
  const invalid = () => new WardenError('ERR_FIELD_PATH', `invalid JSON field path: ${path}`);
  if (!FIELD_PATH_PATTERN.test(path)) throw invalid();
  const steps: Step[] = [];
  STEP.lastIndex = path.startsWith('$') ? 1 : 0;
  while (STEP.lastIndex < path.length) {
    const m = STEP.exec(path);
    if (!m) throw invalid();
    if (m[1]) steps.push({ t: 'descend' });
    const name = m[2];
    const bracket = m[3];
    if (name !== undefined) steps.push(name === '*' ? { t: 'anyKey' } : { t: 'key', name });
    else if (bracket === '*') steps.push({ t: 'index' });
    else if (/^\d+$/.test(bracket!)) steps.push({ t: 'index', index: Number(bracket) });
    else steps.push({ t: 'key', name: bracket!.slice(1, -1) });
  }
  return steps;
}

/** NFA states of one container: pairs of (path number, next step), kept as a flat array. */
export type PathStates = readonly number[];

/**
 * A member name no path can name (names never hold both quote characters): what the rewriter
 * steps with when a name's length alone shows it is not one of `keyLengths`, without decoding it.
 */
export const UNNAMED_KEY = `'"`;

export interface CompiledFieldPaths {
  /** States at the document root. */
  readonly root: PathStates;
  /**
   * UTF-8 byte lengths of the member names the paths and `codeMembers` name: other names step like
   * UNNAMED_KEY.
   */
  readonly keyLengths: ReadonlySet<number>;
  /** Member names beneath a classified object that stay unclassified (see the module comment). */
  readonly codeMembers: ReadonlySet<string>;
  /**
   * States of the child reached through `key` (a member name or an array index), and the entity
   * of the first path that the child completes (the whole child is then PHI, but for its code
   * members). The result is shared: never change it.
   */
  step(states: PathStates, key: string | number): StepResult;
}

export interface StepResult {
  readonly states: PathStates;
  readonly entity?: string;
}

/** Transitions remembered per state set: enough for the member names of any ordinary schema. */
const MAX_TRANSITIONS = 512;

export interface FieldPathOptions {
  /** Members left unclassified beneath a classified object or array. @default none */
  readonly codeMembers?: readonly string[];
}

/** Compiles `path → entity` rules (e.g. `$.entry[*].resource.birthDate → DOB`). */
export function compileFieldPaths(
  rules: Readonly<Record<string, string>>,
  options: FieldPathOptions = {},
): CompiledFieldPaths {
  const codeMembers = new Set(options.codeMembers ?? []);
  const paths = Object.entries(rules).map(([p, entity]) => ({ steps: parseFieldPath(p), entity }));
  const close = (out: number[], p: number, s: number) => {
    // Epsilon closure: a descend step may match zero levels, so its successor is active too.
    for (;;) {
      let seen = false;
      for (let i = 0; i < out.length && !seen; i += 2) seen = out[i] === p && out[i + 1] === s;
      if (!seen) out.push(p, s);
      if (paths[p]!.steps[s]?.t !== 'descend') return;
      s++;
    }
  };
  const keyLengths = new Set<number>();
  for (const name of codeMembers) keyLengths.add(Buffer.byteLength(name, 'utf8'));
  let indexed = false;
  for (const { steps } of paths) {
    for (const step of steps) {
      if (step.t === 'key') keyLengths.add(Buffer.byteLength(step.name, 'utf8'));
      if (step.t === 'index' && step.index !== undefined) indexed = true;
    }
  }
  // State sets are interned, so each one's transitions can be remembered (the NFA is run once per
  // member name and state set, not once per value of the document).
  const interned = new Map<string, PathStates>();
  const transitions = new Map<PathStates, Map<string | number, StepResult>>();
  const intern = (states: number[]): PathStates => {
    const id = states.join(',');
    let known = interned.get(id);
    if (!known) {
      known = states;
      interned.set(id, known);
    }
    return known;
  };
  const empty: PathStates = intern([]);
  const root = (() => {
    const out: number[] = [];
    for (let p = 0; p < paths.length; p++) close(out, p, 0);
    return intern(out);
  })();
  const compute = (states: PathStates, key: string | number): StepResult => {
    const next: number[] = [];
    let entity: string | undefined;
    for (let i = 0; i < states.length; i += 2) {
      const p = states[i]!;
      const s = states[i + 1]!;
      const step = paths[p]!.steps[s];
      if (step === undefined) continue;
      if (step.t === 'descend') {
        close(next, p, s);
        continue;
      }
      const ok =
        step.t === 'anyKey'
          ? typeof key === 'string'
          : step.t === 'key'
            ? key === step.name
            : typeof key === 'number' && (step.index === undefined || step.index === key);
      if (!ok) continue;
      if (s + 1 === paths[p]!.steps.length) entity ??= paths[p]!.entity;
      else close(next, p, s + 1);
    }
    // Paths go on beneath a classified value: one may name a code member there (`$..system`).
    return entity === undefined ? { states: intern(next) } : { states: intern(next), entity };
  };
  const none: StepResult = { states: empty };
  return {
    root,
    keyLengths,
    codeMembers,
    step(states, key) {
      if (states.length === 0) return none;
      // Without a numbered step every index steps alike.
      const k = typeof key === 'number' && !indexed ? 0 : key;
      let known = transitions.get(states);
      const hit = known?.get(k);
      if (hit) return hit;
      const out = compute(states, k);
      if (interned.get(states.join(',')) !== states) return out; // a caller's own array
      if (!known) {
        known = new Map();
        transitions.set(states, known);
      }
      if (known.size < MAX_TRANSITIONS) known.set(k, out);
      return out;
    },
  };
}
