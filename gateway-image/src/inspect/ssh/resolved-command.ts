/**
 * What the resolver knows about one program of a line, before it becomes facts: its features with
 * the reasons for each, the files it reads, and whether its output keeps the lines it reads.
 */
import type { ShellFeature } from '../facts';
import type { ShellWord } from './scanner';

export interface ResolvedCommand {
  readonly program: string;
  readonly features: Set<ShellFeature>;
  /** Why it has each feature (option names and paths, never file contents). */
  readonly notes: Map<ShellFeature, string[]>;
  /** Words naming files whose contents it reads (operands, file options, `<` targets). */
  readonly reads: ShellWord[];
  /** Words that may name files it reads (the operands of programs the catalog does not follow). */
  readonly guesses: ShellWord[];
  /** Why it may read files the line does not name (recursion, name lists, arguments from input). */
  unnamedReads?: string;
  /** Emits the lines it reads unchanged, or counts them: it may read a classified file. */
  keepsLines: boolean;
  /** Prints only counts or names of what it reads (wc, grep -c/-l/-q): no line of it reaches output. */
  summarises?: boolean;
  /** Picks lines by their content (grep): its matches, their count and its exit status depend on them. */
  selectsByContent?: boolean;
  /** Reads its standard input (no file operand, or `-`), which on a pipe holds another program's lines. */
  readsStdin?: boolean;
  readonly captured: boolean;
}

/** Gives the command a feature, and says why. */
export function note(r: ResolvedCommand, feature: ShellFeature, why: string): void {
  r.features.add(feature);
  const notes = r.notes.get(feature) ?? [];
  if (!notes.includes(why)) notes.push(why);
  r.notes.set(feature, notes);
}
