/**
 * The read-only inspection allowlist: programs an agent may run on a PHI host, with the options
 * each may take and what its operands are. Options not listed here are unvetted (fail closed).
 */
import type { ShellFeature } from '../facts';
import type { OptionSpec } from './options';

/** What a vetted program's operands are. */
export type OperandKind = 'files' | 'pattern-then-files' | 'names' | 'none';

/** A program on the read-only inspection allowlist, with the options it may take. */
export interface VettedSpec {
  readonly options: OptionSpec;
  readonly operands: OperandKind;
  /** Options refused, with the feature they give and why. */
  readonly refused?: Readonly<Record<string, { readonly feature: ShellFeature; readonly why: string }>>;
  /** Options whose value is a file the program reads. */
  readonly fileOptions?: readonly string[];
  /** Options that make it read files the line does not name (recursion, name lists). */
  readonly readsUnnamed?: readonly string[];
  /** Emits the lines it reads unchanged (or only counts them): may read a classified file. */
  readonly keepsLines?: boolean;
  /** Picks lines by their content (a pattern): on a classified file, a search of the masked values. */
  readonly selectsByContent?: boolean;
  /** Accepts any option (none of its options reads, writes or runs anything). */
  readonly anyOption?: boolean;
  /** Operands beyond this many are refused (`hostname NAME` sets the name). */
  readonly maxOperands?: number;
}

const enc = (why: string) => ({ feature: 'encoder', why }) as const;
const writes = (why: string) => ({ feature: 'unvetted', why }) as const;
const LINES_LONG = {
  lines: 'value',
  bytes: 'value',
  quiet: 'flag',
  silent: 'flag',
  verbose: 'flag',
} as const;
const INFO: VettedSpec = { options: {}, operands: 'names', anyOption: true };

export const VETTED: Readonly<Record<string, VettedSpec>> = {
  cat: {
    options: {
      flags: 'nbsuAvetTE',
      long: {
        number: 'flag',
        'number-nonblank': 'flag',
        'squeeze-blank': 'flag',
        'show-all': 'flag',
        'show-nonprinting': 'flag',
        'show-ends': 'flag',
        'show-tabs': 'flag',
      },
    },
    operands: 'files',
    keepsLines: true,
    refused: Object.fromEntries(
      [
        '-A',
        '-v',
        '-e',
        '-t',
        '-T',
        '-E',
        '--show-all',
        '--show-nonprinting',
        '--show-ends',
        '--show-tabs',
      ].map((o) => [o, enc(`cat ${o} rewrites characters`)]),
    ),
  },
  head: {
    options: {
      flags: 'qvz',
      values: 'nc',
      long: { ...LINES_LONG, 'zero-terminated': 'flag' },
      numeric: true,
    },
    operands: 'files',
    keepsLines: true,
    refused: {
      '-c': enc('head -c cuts characters out of lines'),
      '--bytes': enc('head --bytes cuts characters out of lines'),
      '-z': writes('head -z reads NUL-separated records'),
      '--zero-terminated': writes('head -z reads NUL-separated records'),
    },
  },
  tail: {
    options: {
      flags: 'fFqvz',
      values: 'ncs',
      long: {
        ...LINES_LONG,
        follow: 'optional',
        retry: 'flag',
        pid: 'value',
        'sleep-interval': 'value',
        'max-unchanged-stats': 'value',
        'zero-terminated': 'flag',
      },
      numeric: true,
    },
    operands: 'files',
    keepsLines: true,
    refused: {
      '-c': enc('tail -c cuts characters out of lines'),
      '--bytes': enc('tail --bytes cuts characters out of lines'),
      '-z': writes('tail -z reads NUL-separated records'),
      '--zero-terminated': writes('tail -z reads NUL-separated records'),
    },
  },
  grep: {
    options: {
      flags: 'EFGPiyvwxcLlqsbHhnTZUazIrRoV',
      values: 'efmABCdDX',
      long: {
        'extended-regexp': 'flag',
        'fixed-strings': 'flag',
        'basic-regexp': 'flag',
        'perl-regexp': 'flag',
        regexp: 'value',
        file: 'value',
        'ignore-case': 'flag',
        'no-ignore-case': 'flag',
        'word-regexp': 'flag',
        'line-regexp': 'flag',
        'null-data': 'flag',
        'no-messages': 'flag',
        'invert-match': 'flag',
        version: 'flag',
        help: 'flag',
        'max-count': 'value',
        'byte-offset': 'flag',
        'line-number': 'flag',
        'line-buffered': 'flag',
        'with-filename': 'flag',
        'no-filename': 'flag',
        label: 'value',
        'only-matching': 'flag',
        quiet: 'flag',
        silent: 'flag',
        'binary-files': 'value',
        text: 'flag',
        directories: 'value',
        devices: 'value',
        recursive: 'flag',
        'dereference-recursive': 'flag',
        include: 'value',
        exclude: 'value',
        'exclude-from': 'value',
        'exclude-dir': 'value',
        'files-without-match': 'flag',
        'files-with-matches': 'flag',
        count: 'flag',
        'initial-tab': 'flag',
        null: 'flag',
        'before-context': 'value',
        'after-context': 'value',
        context: 'value',
        color: 'optional',
        colour: 'optional',
        binary: 'flag',
      },
      numeric: true,
    },
    operands: 'pattern-then-files',
    keepsLines: true,
    selectsByContent: true,
    fileOptions: ['-f', '--file', '--exclude-from'],
    readsUnnamed: ['-r', '-R', '--recursive', '--dereference-recursive', '-d', '--directories'],
    refused: {
      '-o': enc('grep -o prints pieces of lines'),
      '--only-matching': enc('grep --only-matching prints pieces of lines'),
      '--label': writes('grep --label names its input'),
      '-z': writes('grep -z reads NUL-separated records'),
      '--null-data': writes('grep --null-data reads NUL-separated records'),
      '-Z': writes('grep -Z writes NUL after file names'),
      '--null': writes('grep --null writes NUL after file names'),
    },
  },
  sort: {
    options: {
      flags: 'bdfgiMhnRrVcCmsuz',
      values: 'kotST',
      long: {
        'ignore-leading-blanks': 'flag',
        'dictionary-order': 'flag',
        'ignore-case': 'flag',
        'general-numeric-sort': 'flag',
        'ignore-nonprinting': 'flag',
        'month-sort': 'flag',
        'human-numeric-sort': 'flag',
        'numeric-sort': 'flag',
        'random-sort': 'flag',
        'random-source': 'value',
        reverse: 'flag',
        sort: 'value',
        'version-sort': 'flag',
        'batch-size': 'value',
        check: 'optional',
        'compress-program': 'value',
        debug: 'flag',
        'files0-from': 'value',
        key: 'value',
        merge: 'flag',
        output: 'value',
        stable: 'flag',
        'buffer-size': 'value',
        'field-separator': 'value',
        'temporary-directory': 'value',
        parallel: 'value',
        unique: 'flag',
        'zero-terminated': 'flag',
      },
    },
    operands: 'files',
    keepsLines: true,
    fileOptions: ['--random-source'],
    readsUnnamed: ['--files0-from'],
    refused: {
      '-o': writes('sort -o writes a file'),
      '--output': writes('sort --output writes a file'),
      '--compress-program': { feature: 'shell', why: 'sort --compress-program runs a program' },
      '-z': writes('sort -z reads NUL-separated records'),
      '--zero-terminated': writes('sort -z reads NUL-separated records'),
    },
  },
  uniq: {
    options: {
      flags: 'cdDiuz',
      values: 'fsw',
      long: {
        count: 'flag',
        repeated: 'flag',
        'all-repeated': 'optional',
        'skip-fields': 'value',
        'ignore-case': 'flag',
        'skip-chars': 'value',
        unique: 'flag',
        'zero-terminated': 'flag',
        group: 'optional',
        'check-chars': 'value',
      },
    },
    operands: 'files',
    maxOperands: 1,
    keepsLines: true,
    refused: {
      '-z': writes('uniq -z reads NUL-separated records'),
      '--zero-terminated': writes('uniq -z reads NUL-separated records'),
    },
  },
  tac: {
    options: { flags: 'br', values: 's', long: { before: 'flag', regex: 'flag', separator: 'value' } },
    operands: 'files',
    keepsLines: true,
    refused: Object.fromEntries(
      ['-b', '-r', '-s', '--before', '--regex', '--separator'].map((o) => [
        o,
        enc(`tac ${o} splits lines elsewhere`),
      ]),
    ),
  },
  wc: {
    options: {
      flags: 'clmwL',
      long: {
        bytes: 'flag',
        chars: 'flag',
        lines: 'flag',
        words: 'flag',
        'max-line-length': 'flag',
        'files0-from': 'value',
        total: 'value',
      },
    },
    operands: 'files',
    keepsLines: true,
    readsUnnamed: ['--files0-from'],
  },
  cut: {
    options: {
      flags: 'snz',
      values: 'bcdf',
      long: {
        bytes: 'value',
        characters: 'value',
        delimiter: 'value',
        fields: 'value',
        complement: 'flag',
        'only-delimited': 'flag',
        'output-delimiter': 'value',
        'zero-terminated': 'flag',
      },
    },
    operands: 'files',
    refused: {
      '-b': enc('cut -b cuts characters out of lines'),
      '-c': enc('cut -c cuts characters out of lines'),
      '--bytes': enc('cut --bytes cuts characters out of lines'),
      '--characters': enc('cut --characters cuts characters out of lines'),
    },
  },
  date: {
    options: {
      flags: 'uRIs',
      values: 'dfrs',
      long: {
        date: 'value',
        file: 'value',
        reference: 'value',
        set: 'value',
        utc: 'flag',
        universal: 'flag',
        'rfc-email': 'flag',
        'rfc-3339': 'value',
        'iso-8601': 'optional',
        debug: 'flag',
        resolution: 'flag',
      },
    },
    operands: 'none',
    maxOperands: 1,
    fileOptions: ['-f', '--file'],
    refused: { '-s': writes('date -s sets the clock'), '--set': writes('date --set sets the clock') },
  },
  hostname: { options: {}, operands: 'names', anyOption: true, maxOperands: 0 },
  ls: INFO,
  dir: INFO,
  vdir: INFO,
  stat: INFO,
  file: INFO,
  du: INFO,
  df: INFO,
  pwd: INFO,
  id: INFO,
  whoami: INFO,
  groups: INFO,
  uname: INFO,
  uptime: INFO,
  free: INFO,
  ps: INFO,
  nproc: INFO,
  which: INFO,
  type: INFO,
  basename: INFO,
  dirname: INFO,
  realpath: INFO,
  readlink: INFO,
  echo: INFO,
  printf: INFO,
  true: INFO,
  false: INFO,
  ':': INFO,
  test: INFO,
  '[': INFO,
  '[[': INFO,
  sleep: INFO,
  tree: INFO,
  lsblk: INFO,
  who: INFO,
  w: INFO,
  cd: INFO,
  exit: INFO,
};

/** grep's other names: egrep and fgrep are grep with -E or -F; rgrep recurses. */
export const ALIASES: Readonly<Record<string, string>> = { egrep: 'grep', fgrep: 'grep', rgrep: 'grep' };

/** find's actions that run commands, delete, or write files. */
export const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);
export const FIND_WRITES = new Set(['-fprint', '-fprint0', '-fprintf', '-fls']);
/** find's tests and actions that take this many arguments (so an argument is not taken for an action). */
export const FIND_ARGS: Readonly<Record<string, number>> = Object.fromEntries([
  ...[
    '-name',
    '-iname',
    '-path',
    '-ipath',
    '-wholename',
    '-iwholename',
    '-regex',
    '-iregex',
    '-lname',
    '-ilname',
    '-type',
    '-xtype',
    '-user',
    '-group',
    '-uid',
    '-gid',
    '-perm',
    '-size',
    '-mtime',
    '-atime',
    '-ctime',
    '-mmin',
    '-amin',
    '-cmin',
    '-newer',
    '-anewer',
    '-cnewer',
    '-samefile',
    '-inum',
    '-links',
    '-maxdepth',
    '-mindepth',
    '-used',
    '-fstype',
    '-context',
    '-printf',
    '-regextype',
    '-files0-from',
  ].map((t) => [t, 1] as const),
  ...['-fprint', '-fprint0', '-fls'].map((t) => [t, 1] as const),
  ['-fprintf', 2] as const,
]);
