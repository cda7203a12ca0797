/**
 * Pattern matching for policy rules. Patterns are compiled once, when the engine is created.
 */

export type Matcher = (value: string) => boolean;

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A name glob: `*` matches any run of characters (dots included), case-insensitive. A pattern
 * without a dot is matched against the last dotted segment as well, so `pg_read_file` also catches
 * `pg_catalog.pg_read_file` and `patients` catches `public.patients`: writing the schema is what
 * narrows a pattern, leaving it out never lets a qualified spelling slip past.
 */
export function nameMatcher(patterns: readonly string[]): Matcher {
  const compiled = patterns.map((p) => ({
    re: new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`, 'i'),
    unqualified: !p.includes('.'),
  }));
  return (value) =>
    compiled.some(
      ({ re, unqualified }) =>
        re.test(value) || (unqualified && re.test(value.slice(value.lastIndexOf('.') + 1))),
    );
}

/** A program glob: matched against the program as written and against its base name (`/usr/bin/psql`). */
export function programMatcher(patterns: readonly string[]): Matcher {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`));
  return (value) => {
    const base = value.slice(value.lastIndexOf('/') + 1);
    return res.some((re) => re.test(value) || re.test(base));
  };
}

/**
 * An HTTP path pattern: `*` matches exactly one segment (or part of one: `v*`), `**` any number of
 * segments including none. Case-sensitive, like the paths themselves; the query string is not part
 * of the path.
 */
export function pathMatcher(patterns: readonly string[]): Matcher {
  const compiled = patterns.map((p) =>
    p
      .split('/')
      .filter((s) => s.length > 0)
      .map((seg) =>
        seg === '**' ? '**' : new RegExp(`^${seg.split('*').map(escapeRegExp).join('[^/]*')}$`),
      ),
  );
  return (path) => {
    const segs = path.split('/').filter((s) => s.length > 0);
    return compiled.some((pat) => matchSegments(pat, 0, segs, 0));
  };
}

function matchSegments(
  pat: readonly (RegExp | '**')[],
  i: number,
  segs: readonly string[],
  j: number,
): boolean {
  if (i === pat.length) return j === segs.length;
  const p = pat[i]!;
  if (p === '**') {
    for (let k = j; k <= segs.length; k++) if (matchSegments(pat, i + 1, segs, k)) return true;
    return false;
  }
  return j < segs.length && p.test(segs[j]!) && matchSegments(pat, i + 1, segs, j + 1);
}
