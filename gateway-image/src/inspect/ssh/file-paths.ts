/**
 * Whether a path written on a command line may name a file a connection classifies. The shell
 * resolves a relative path against a directory the gateway does not see, and `..` through a
 * symbolic link leaves the directory lexical normalisation would give; so a relative path (or
 * what follows its last `..`) matches when some directory in front of it could make it match.
 * Matching too much only masks more.
 */
import { posix } from 'node:path';

export type PathMatcher = (path: string) => boolean;

type Segment = RegExp | '**';

/**
 * Compiles a classification path pattern: `*` within a name, `?` one character, `**` any number
 * of directories. A pattern not starting with `/` matches at any depth. Case-insensitive.
 */
export function compilePathPattern(pattern: string): PathMatcher {
  const anchored = pattern.startsWith('/');
  const segments: Segment[] = pattern
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map((s) => (s === '**' ? '**' : new RegExp(`^${s.split('').map(globChar).join('')}$`, 'i')));
  const reversed = [...(anchored ? segments : ['**' as const, ...segments])].reverse();
  return (path) => {
    const { segments: parts, open } = pathSegments(path);
    // `.` or `/` names a directory, never a classified file.
    if (parts.length === 0) return false;
    return matchFromEnd(reversed, 0, parts.reverse(), 0, open);
  };
}

function globChar(c: string): string {
  if (c === '*') return '.*';
  if (c === '?') return '.';
  return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** The path's segments, and whether an unknown directory comes before them. */
function pathSegments(path: string): { segments: string[]; open: boolean } {
  const parts = path.split('/');
  const lastUp = parts.lastIndexOf('..');
  if (lastUp >= 0) {
    return { segments: parts.slice(lastUp + 1).filter((s) => s !== '' && s !== '.'), open: true };
  }
  const normal = posix.normalize(path);
  return {
    segments: normal.split('/').filter((s) => s !== '' && s !== '.'),
    open: !normal.startsWith('/'),
  };
}

function matchFromEnd(
  pattern: readonly Segment[],
  i: number,
  path: readonly string[],
  j: number,
  open: boolean,
): boolean {
  if (j === path.length) return open || pattern.slice(i).every((s) => s === '**');
  if (i === pattern.length) return false;
  const p = pattern[i]!;
  if (p === '**')
    return matchFromEnd(pattern, i + 1, path, j, open) || matchFromEnd(pattern, i, path, j + 1, open);
  return p.test(path[j]!) && matchFromEnd(pattern, i + 1, path, j + 1, open);
}
