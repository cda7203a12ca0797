/**
 * find's expression: start points are names it lists, not files it reads; -exec, -execdir, -ok
 * and -okdir run a command per file (resolved as a command of its own, fed file names), -delete
 * deletes, and -fprint* / -fls truncate the file they write.
 */
import { FIND_ARGS, FIND_EXEC, FIND_WRITES } from './allowlist';
import type { PendingCommand, ResolveContext } from './resolve';
import { note, type ResolvedCommand } from './resolved-command';
import type { ShellWord } from './scanner';

export function findCommand(
  cmd: PendingCommand,
  args: readonly ShellWord[],
  out: ResolvedCommand,
  ctx: ResolveContext,
): void {
  let i = 0;
  // Start points come first, up to the first word that begins the expression.
  while (i < args.length && !/^[-(!),]/.test(args[i]!.value)) i++;
  for (; i < args.length; i++) {
    const w = args[i]!;
    if (w.dynamic) continue;
    if (FIND_EXEC.has(w.value)) {
      let end = i + 1;
      while (
        end < args.length &&
        !(!args[end]!.dynamic && (args[end]!.value === ';' || args[end]!.value === '+'))
      )
        end++;
      const words = args
        .slice(i + 1, end)
        .map((a) =>
          a.value.includes('{}') && a === args[i + 1]
            ? { ...a, dynamic: true, expansion: 'variable' as const }
            : a,
        );
      note(out, 'shell', `find ${w.value} runs a command for each file it finds`);
      if (words.length > 0) {
        ctx.queue({
          ...cmd,
          words,
          redirects: [],
          depth: cmd.depth + 1,
          fedBy: `find ${w.value} passes file names to it`,
        });
      }
      i = end;
    } else if (w.value === '-delete') {
      note(out, 'destructive', 'find -delete deletes what it finds');
    } else if (FIND_WRITES.has(w.value)) {
      note(out, 'destructive', `find ${w.value} truncates the file it writes`);
      i += FIND_ARGS[w.value] ?? 1;
    } else {
      i += FIND_ARGS[w.value] ?? 0;
    }
  }
  if (out.features.size > 0) note(out, 'unvetted', 'find runs, deletes or writes here');
}
