/**
 * Masking of classified files read over SSH: which paths a connection classifies (for the
 * inspector), and the masker for one exec that reads one (by column for CSV/TSV, whose header
 * row the gateway reads first with a command of its own on the same upstream; by member for
 * JSON). Strategies come from the principal's masking profile, as for Postgres columns.
 */
import type { ClassifiedFileConfig, SshConnectionConfig } from '../config/connections';
import { compilePathPattern, type PathMatcher } from '../inspect/ssh';
import { createDelimitedRowMasker, parseHeader } from '../masking/delimited-rows';
import { createJsonLineMasker } from '../masking/json-lines';
import type { SshOutputMasking, SshOutputMaskRequest } from '../protocols/ssh/hooks';
import type { PrincipalMasking } from './principal-maskers';

interface CompiledFile {
  readonly matches: PathMatcher;
  readonly spec: ClassifiedFileConfig;
}

export interface SshFileMasking {
  /** Whether a path may name a classified file of the connection; undefined when it has none. */
  classified(connection: string): PathMatcher | undefined;
  outputMasker(request: SshOutputMaskRequest): Promise<SshOutputMasking>;
}

/** `'…'` for sh, whatever the path holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export function sshFileMasking(
  connections: readonly SshConnectionConfig[],
  maskers: (principal: SshOutputMaskRequest['principal']) => PrincipalMasking,
): SshFileMasking {
  const compiled = new Map<string, CompiledFile[]>();
  const matchers = new Map<string, PathMatcher>();
  for (const c of connections) {
    if (c.files.length === 0) continue;
    const files = c.files.map((spec) => ({ matches: compilePathPattern(spec.path), spec }));
    compiled.set(c.name, files);
    matchers.set(c.name, (path) => files.some((f) => f.matches(path)));
  }
  return {
    classified: (connection) => matchers.get(connection),
    async outputMasker({ principal, connection, facts, run }) {
      const path = facts.classifiedFiles?.[0];
      if (path === undefined) return { masker: undefined };
      const { policy, text, tokens } = maskers(principal);
      const shown = text.mask(path).text;
      const specs = (compiled.get(connection) ?? []).filter((f) => f.matches(path)).map((f) => f.spec);
      if (new Set(specs.map((s) => JSON.stringify(s))).size !== 1) {
        return {
          refused: `${shown} matches ${specs.length === 0 ? 'no' : 'more than one'} file classification, so its output cannot be masked; name the file by a longer path`,
          failure: 'classification-ambiguous',
        };
      }
      const spec = specs[0]!;
      if (spec.format === 'json') {
        return {
          masker: createJsonLineMasker({ fields: spec.fields, policy, text, ...(tokens ? { tokens } : {}) }),
        };
      }
      const delimiter = spec.format === 'tsv' ? '\t' : ',';
      const headerLine = await run(`head -n 1 -- ${shellQuote(path)}`).then(
        (out) =>
          out
            .split('\n')[0]!
            .replace(/^\uFEFF/, '')
            .replace(/\r$/, ''),
        () => undefined,
      );
      const header = headerLine === undefined ? undefined : parseHeader(headerLine, delimiter);
      if (!header) {
        return {
          refused: `the gateway could not read the header row of the classified file ${shown}, so its output cannot be masked by column; check the path (relative paths start in the login directory)`,
          failure: 'header-unavailable',
        };
      }
      // A header naming none of the classified columns (another delimiter, another file) would
      // leave every value to the detectors: refuse rather than guess.
      const named = new Set(Object.keys(spec.columns).map((c) => c.toLowerCase()));
      if (!header.some((h) => named.has(h.toLowerCase()))) {
        return {
          refused: `the header row of the classified file ${shown} names none of its classified columns, so its output cannot be masked by column`,
          failure: 'header-mismatch',
        };
      }
      return {
        masker: createDelimitedRowMasker({
          delimiter,
          headerLine: headerLine!,
          columns: spec.columns,
          policy,
          text,
          ...(tokens ? { tokens } : {}),
        }),
      };
    },
  };
}
