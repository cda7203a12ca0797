/**
 * The program catalog: what the inspector knows about programs, by base name. It is the single
 * place that says which programs wrap others, which run code the line does not show, which move
 * files off the host, which rewrite output past masking, which delete, and which make up the
 * read-only inspection allowlist (with the options each may take).
 *
 * Anything not listed is unvetted: policy can still allow it, but never as "read-only".
 */
import type { OptionSpec } from './options';

/** A program that runs another one given in its arguments. */
export interface WrapperSpec {
  readonly options: OptionSpec;
  /** Operands before the program (timeout's duration, chroot's root, flock's lock file). */
  readonly skip?: number;
  /** On the read-only allowlist (the program it runs is judged on its own). */
  readonly vetted?: boolean;
  /** Options after which no program runs (`command -v rm` only prints a path). */
  readonly noProgram?: readonly string[];
  /** Options that run a login or interactive shell reading stdin when no program follows. */
  readonly shell?: readonly string[];
  /** Options whose value is a command line run by a shell (`su -c`, `flock -c`). */
  readonly script?: readonly string[];
  /** The operands are joined into one command line and run by `sh -c` (watch, sg). */
  readonly joinsOperands?: boolean;
  /** Options that join the operands instead (none) or stop joining (`watch -x`). */
  readonly execOption?: string;
  /** Options that cannot be inspected (`env -S` splits a string by rules of its own). */
  readonly refused?: readonly string[];
  /** What it runs when no program is given. @default nothing */
  readonly defaultProgram?: string;
}

const TIME_LONG = { format: 'value', output: 'value', append: 'flag', portability: 'flag' } as const;

export const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  sudo: {
    options: {
      flags: 'AbEeHiKklnPSsVv',
      values: 'CDghpRrTtUu',
      long: {
        askpass: 'flag',
        background: 'flag',
        'preserve-env': 'optional',
        edit: 'flag',
        'set-home': 'flag',
        login: 'flag',
        'remove-timestamp': 'flag',
        'reset-timestamp': 'flag',
        list: 'flag',
        'non-interactive': 'flag',
        'preserve-groups': 'flag',
        stdin: 'flag',
        shell: 'flag',
        validate: 'flag',
        'close-from': 'value',
        chdir: 'value',
        group: 'value',
        host: 'value',
        prompt: 'value',
        role: 'value',
        chroot: 'value',
        type: 'value',
        'command-timeout': 'value',
        'other-user': 'value',
        user: 'value',
      },
      stopAtOperand: true,
    },
    noProgram: ['-l', '--list', '-v', '--validate', '-k', '-K', '--remove-timestamp', '--reset-timestamp'],
    shell: ['-s', '-i', '--shell', '--login'],
    refused: ['-e', '--edit'],
  },
  doas: { options: { flags: 'Lns', values: 'uC', stopAtOperand: true }, shell: ['-s'] },
  env: {
    options: {
      flags: 'i0v',
      values: 'uCS',
      long: {
        'ignore-environment': 'flag',
        null: 'flag',
        unset: 'value',
        chdir: 'value',
        'split-string': 'value',
        debug: 'flag',
        'block-signal': 'optional',
        'default-signal': 'optional',
        'ignore-signal': 'optional',
        'list-signal-handling': 'flag',
      },
      stopAtOperand: true,
    },
    refused: ['-S', '--split-string'],
  },
  nice: {
    options: { values: 'n', long: { adjustment: 'value' }, numeric: true, stopAtOperand: true },
    vetted: true,
  },
  ionice: {
    options: {
      flags: 't',
      values: 'cnpPu',
      long: { class: 'value', classdata: 'value', pid: 'value', pgid: 'value', uid: 'value', ignore: 'flag' },
      stopAtOperand: true,
    },
  },
  nohup: { options: { stopAtOperand: true } },
  setsid: {
    options: { flags: 'cfw', long: { ctty: 'flag', fork: 'flag', wait: 'flag' }, stopAtOperand: true },
  },
  stdbuf: {
    options: {
      values: 'ioe',
      long: { input: 'value', output: 'value', error: 'value' },
      stopAtOperand: true,
    },
    vetted: true,
  },
  time: { options: { flags: 'apvq', values: 'fo', long: TIME_LONG, stopAtOperand: true }, vetted: true },
  timeout: {
    options: {
      flags: 'v',
      values: 'sk',
      long: {
        signal: 'value',
        'kill-after': 'value',
        'preserve-status': 'flag',
        foreground: 'flag',
        verbose: 'flag',
      },
      stopAtOperand: true,
    },
    skip: 1,
    vetted: true,
  },
  command: { options: { flags: 'pVv', stopAtOperand: true }, noProgram: ['-v', '-V'], vetted: true },
  builtin: { options: { stopAtOperand: true }, vetted: true },
  exec: { options: { flags: 'cl', values: 'a', stopAtOperand: true }, vetted: true },
  chroot: {
    options: { long: { userspec: 'value', groups: 'value', 'skip-chdir': 'flag' }, stopAtOperand: true },
    skip: 1,
    defaultProgram: 'sh',
  },
  flock: {
    options: {
      flags: 'sxnuoFe',
      values: 'wEc',
      long: {
        shared: 'flag',
        exclusive: 'flag',
        nonblock: 'flag',
        unlock: 'flag',
        timeout: 'value',
        'conflict-exit-code': 'value',
        close: 'flag',
        'no-fork': 'flag',
        command: 'value',
        verbose: 'flag',
      },
      stopAtOperand: true,
    },
    skip: 1,
    script: ['-c', '--command'],
  },
  taskset: {
    options: { flags: 'apc', long: { all: 'flag', pid: 'flag', 'cpu-list': 'flag' }, stopAtOperand: true },
    skip: 1,
  },
  unbuffer: { options: { flags: 'p', stopAtOperand: true } },
  xargs: {
    options: {
      flags: '0prtx',
      values: 'aEdIPLns',
      optional: 'eil',
      long: {
        null: 'flag',
        'arg-file': 'value',
        delimiter: 'value',
        eof: 'optional',
        replace: 'optional',
        'max-lines': 'optional',
        'max-args': 'value',
        interactive: 'flag',
        'max-chars': 'value',
        verbose: 'flag',
        'show-limits': 'flag',
        exit: 'flag',
        'max-procs': 'value',
        'no-run-if-empty': 'flag',
        'process-slot-var': 'value',
        'open-tty': 'flag',
      },
      stopAtOperand: true,
    },
    defaultProgram: 'echo',
  },
  watch: {
    options: {
      flags: 'bcdegtxpr',
      values: 'nq',
      long: {
        beep: 'flag',
        color: 'flag',
        'no-color': 'flag',
        differences: 'optional',
        errexit: 'flag',
        chgexit: 'flag',
        'no-title': 'flag',
        exec: 'flag',
        precise: 'flag',
        'no-wrap': 'flag',
        interval: 'value',
        equexit: 'value',
        'no-rerun': 'flag',
      },
      stopAtOperand: true,
    },
    joinsOperands: true,
    execOption: '-x',
  },
  sg: { options: { stopAtOperand: true }, skip: 1, joinsOperands: true },
  su: {
    options: {
      flags: 'flmpP',
      values: 'cgGsw',
      long: {
        command: 'value',
        'session-command': 'value',
        fast: 'flag',
        group: 'value',
        'supp-group': 'value',
        login: 'flag',
        pty: 'flag',
        'preserve-environment': 'flag',
        shell: 'value',
        'whitelist-environment': 'value',
      },
      stopAtOperand: true,
    },
    script: ['-c', '--command', '--session-command'],
    skip: 1,
    joinsOperands: false,
    defaultProgram: 'sh',
  },
  runuser: {
    options: {
      flags: 'flmpP',
      values: 'cgGuw',
      long: {
        command: 'value',
        'session-command': 'value',
        fast: 'flag',
        group: 'value',
        'supp-group': 'value',
        login: 'flag',
        pty: 'flag',
        'preserve-environment': 'flag',
        user: 'value',
        'whitelist-environment': 'value',
      },
      stopAtOperand: true,
    },
    script: ['-c', '--command', '--session-command'],
  },
};

/**
 * Programs that run another program in ways the catalog does not follow (their option grammars
 * decide where the program starts): a line using one cannot be inspected.
 */
export const UNRESOLVED_RUNNERS = new Set([
  'strace',
  'ltrace',
  'valgrind',
  'nsenter',
  'unshare',
  'firejail',
  'setpriv',
  'prlimit',
  'systemd-run',
  'faketime',
  'proxychains',
  'proxychains4',
  'torsocks',
  'catchsegv',
  'numactl',
  'cgexec',
  'chpst',
  'softlimit',
  'envdir',
  'setuidgid',
  'schedtool',
  'cpulimit',
  'chrt',
  'pkexec',
  'toybox',
]);

/** POSIX-family shells whose `-c` scripts the scanner reads with its own grammar. */
export const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'posh', 'yash', 'rbash']);
/** Shells with another grammar: a `-c` script of theirs cannot be inspected. */
export const OTHER_SHELLS = new Set([
  'zsh',
  'fish',
  'csh',
  'tcsh',
  'nu',
  'xonsh',
  'elvish',
  'pwsh',
  'powershell',
]);

export const SHELL_OPTIONS: OptionSpec = {
  flags: 'abcefhiklmnprstuvxBCEHPT',
  values: 'oO',
  long: {
    norc: 'flag',
    noprofile: 'flag',
    posix: 'flag',
    login: 'flag',
    restricted: 'flag',
    verbose: 'flag',
    noediting: 'flag',
    debugger: 'flag',
    'dump-strings': 'flag',
    'dump-po-strings': 'flag',
    'pretty-print': 'flag',
    rcfile: 'value',
    'init-file': 'value',
    help: 'flag',
    version: 'flag',
  },
  stopAtOperand: true,
};

/** Interpreters and other programs that run code from files, stdin or strings the line does not show. */
const INTERPRETER =
  /^(python[0-9.]*|pypy[0-9.]*|perl[0-9.]*|ruby[0-9.]*|irb|node|nodejs|deno|bun|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish[0-9.]*|expect|Rscript|R|julia|java|jshell|groovy|scala|kotlin|guile|racket|sbcl|clisp|ocaml|gdb|lldb|make|gmake|git|vi|vim|nvim|view|ex|ed|emacs|nano|less|more|most|man|pg|parallel|crontab|at|batch|tmux|screen|script|run-parts|newgrp|login|docker|podman|kubectl|systemctl|service|source|\.|eval|trap|enable)$/;

export function isInterpreter(name: string): boolean {
  return INTERPRETER.test(name);
}

/** Programs that move files or bytes to or from another place: file transfers and network clients. */
export const TRANSFERS = new Set([
  'scp',
  'rsync',
  'sftp',
  'sftp-server',
  'internal-sftp',
  'curl',
  'wget',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'ssh',
  'telnet',
  'ftp',
  'tftp',
  'lftp',
  'rclone',
  'ssh-copy-id',
  'sshpass',
]);

/**
 * Encoders and transformers: their output is the data in another shape (encoded, compressed,
 * hashed, reversed, cut into characters), which line masking cannot recognise. A hash of a
 * nine-digit SSN is reversed by trying all of them.
 */
export const ENCODERS = new Set([
  'base64',
  'base32',
  'basenc',
  'xxd',
  'od',
  'hexdump',
  'hd',
  'rev',
  'tr',
  'gzip',
  'gunzip',
  'zcat',
  'bzip2',
  'bunzip2',
  'bzcat',
  'xz',
  'unxz',
  'xzcat',
  'lzma',
  'unlzma',
  'lz4',
  'lz4cat',
  'zstd',
  'unzstd',
  'zstdcat',
  'brotli',
  'compress',
  'uncompress',
  'openssl',
  'gpg',
  'gpg2',
  'age',
  'iconv',
  'recode',
  'uuencode',
  'uudecode',
  'md5sum',
  'sha1sum',
  'sha224sum',
  'sha256sum',
  'sha384sum',
  'sha512sum',
  'b2sum',
  'b3sum',
  'shasum',
  'cksum',
  'sum',
  'fold',
  'fmt',
  'pr',
  'column',
  'expand',
  'unexpand',
  'strings',
  'split',
  'csplit',
  'paste',
  'join',
  'nl',
  'colrm',
  'jq',
  'yq',
  'xmllint',
  'cmp',
  'tar',
  'zip',
  'unzip',
  '7z',
  '7za',
  'cpio',
  'pax',
  'ar',
  'dos2unix',
  'unix2dos',
  'sed',
  'awk',
  'gawk',
  'mawk',
  'nawk',
  'dd',
]);

/** Programs that delete, shred or truncate files. */
export const DESTRUCTIVE = new Set(['rm', 'unlink', 'rmdir', 'shred', 'wipe', 'srm', 'truncate', 'dd']);
