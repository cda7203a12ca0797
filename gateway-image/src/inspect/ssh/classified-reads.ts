/**
 * On a host with classified files, output can be masked by column or member only when the
 * gateway knows which classified file a line reads and every program on the line hands its
 * lines on unchanged. Anything else is marked `unmaskable` (the gate refuses it whatever policy
 * says): a computed path, recursion or names from input where the line reads files, a second
 * classified file, a reader inside a substitution, or any program that rewrites lines. A program
 * that picks its lines by content (grep) gets `search`: even masked, which lines match, how many
 * and the exit status tell what the hidden values are, so policy decides who may (agents may not,
 * by default).
 */
import type { PathMatcher } from './file-paths';
import { note, type ResolvedCommand } from './resolved-command';

/** Marks what cannot be masked; returns the classified file whose lines the output may hold, if any. */
export function checkClassifiedReads(
  commands: readonly ResolvedCommand[],
  classified: PathMatcher,
): string[] {
  const unmaskable = (c: ResolvedCommand, why: string) => note(c, 'unmaskable', why);
  const files = new Set<string>();
  for (const c of commands) {
    for (const w of [...c.reads, ...c.guesses]) {
      if (w.dynamic) {
        unmaskable(
          c,
          `${c.program} reads "${w.value}", a path known only when the line runs; on a host with classified files write paths out literally`,
        );
      } else if (classified(w.value)) {
        files.add(w.value);
      }
    }
    if (c.unnamedReads) {
      unmaskable(
        c,
        `${c.unnamedReads}, which on a host with classified files cannot be masked; name the files instead`,
      );
    }
  }
  if (files.size === 0) return [];
  const [file] = files;
  const readsClassified = (c: ResolvedCommand) =>
    [...c.reads, ...c.guesses].some((w) => !w.dynamic && files.has(w.value));
  for (const c of commands) {
    if (files.size > 1 && readsClassified(c)) {
      unmaskable(c, `the line reads ${files.size} classified files; read one per command`);
    } else if (c.captured && readsClassified(c)) {
      unmaskable(c, `${c.program} reads ${file} inside a substitution, where its lines cannot be masked`);
    } else if (/^(cd|pushd|popd)$/.test(c.program)) {
      unmaskable(
        c,
        `${c.program} changes which file a relative path names; read the classified file ${file} without changing directory`,
      );
    } else if (!c.keepsLines) {
      unmaskable(
        c,
        `${c.program} may change the lines of the classified file ${file}, so the output could not be masked; a line reading it may run only cat, head, tail, grep, sort, uniq, tac and wc`,
      );
    } else if (c.selectsByContent && (readsClassified(c) || c.readsStdin)) {
      note(
        c,
        'search',
        `${c.program} picks lines of the classified file ${file} by their content: the matches, their count and the exit status tell what the masked values are`,
      );
    }
  }
  // Counting its lines shows none of them: the output needs no masking by column or member.
  if (commands.every((c) => c.summarises)) return [];
  return [...files];
}
