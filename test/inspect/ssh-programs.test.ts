import { compilePathPattern, inspectExec, ShellSyntaxError } from '../../gateway-image/src/inspect/ssh';
import { decodeAnsiC } from '../../gateway-image/src/inspect/ssh/ansi-c';
import { parseOptions } from '../../gateway-image/src/inspect/ssh/options';
import type { ShellWord } from '../../gateway-image/src/inspect/ssh/scanner';

/** Each program of the line with its features: `rm:destructive+unvetted`. */
function judged(line: string): string[] {
  return (inspectExec(line).commands ?? []).map((c) => `${c.program}:${c.features.join('+')}`);
}

describe('the program catalog', () => {
  it.each([
    // Wrappers resolve to what they run; the read-only ones are vetted themselves.
    ['timeout 5 nice -n 3 cat a', ['timeout:', 'nice:', 'cat:']],
    ['sudo -u root -- rm a', ['sudo:unvetted', 'rm:destructive+unvetted']],
    ['doas rm a', ['doas:unvetted', 'rm:destructive+unvetted']],
    ['env -u HOME -i LC_ALL=C rm a', ['env:unvetted', 'rm:destructive+unvetted']],
    ['command -v rm', ['command:']],
    ['stdbuf -oL -eL grep x a', ['stdbuf:', 'grep:']],
    ['flock /tmp/l -c "rm a"', ['flock:unvetted', 'rm:destructive+unvetted']],
    ['su -c "rm a" root', ['su:unvetted', 'rm:destructive+unvetted']],
    ['sg adm rm a', ['sg:unvetted', 'rm:destructive+unvetted']],
    ['watch -x rm a', ['watch:unvetted', 'rm:destructive+unvetted']],
    ['busybox sh', ['busybox:unvetted', 'sh:shell+unvetted']],
    ['env - rm a', ['env:unvetted', 'rm:destructive+unvetted']],
    // Shells: -c scripts are followed; anything else runs code the line does not show.
    ['sh -c "cat a"', ['sh:', 'cat:']],
    ['bash -lc "cat a"', ['bash:', 'cat:']],
    ['sh +x -c "cat a"', ['sh:', 'cat:']],
    ["sh <<< 'cat a'", ['sh:', 'cat:']],
    ["bash <<'EOF'\nrm a\nEOF", ['bash:', 'rm:destructive+unvetted']],
    ['bash <<EOF\n$x a\nEOF', ['bash:shell+unvetted']],
    ['sh < script.sh', ['sh:shell+unvetted']],
    ['bash', ['bash:shell+unvetted']],
    ['bash -i', ['bash:shell+unvetted']],
    ['bash --rcfile x -c id', ['bash:shell+unvetted', 'id:']],
    ['bash script.sh', ['bash:shell+unvetted']],
    ['sudo -s', ['sudo:shell+unvetted']],
    ['node -e 1', ['node:shell+unvetted']],
    ['python3.11 x.py', ['python3.11:shell+unvetted']],
    ['git log', ['git:shell+unvetted']],
    ["awk '{print $1}' a", ['awk:encoder+unvetted']],
    ['awk \'{print > "f"}\' a', ['awk:encoder+shell+unvetted']],
    ["sed 's/a/b/e' a", ['sed:encoder+shell+unvetted']],
    // Transfers, encoders and destruction.
    ['scp -t /tmp', ['scp:transfer+unvetted']],
    ['rsync -a --delete a b', ['rsync:destructive+transfer+unvetted']],
    ['ssh other id', ['ssh:transfer+unvetted']],
    ['base32 a', ['base32:encoder+unvetted']],
    ['md5sum a', ['md5sum:encoder+unvetted']],
    ['tee a', ['tee:destructive+unvetted']],
    ['tee -a a', ['tee:unvetted']],
    ['shred -u a', ['shred:destructive+unvetted']],
    ['uniq a b', ['uniq:destructive+unvetted']],
    ['find . -fprint out', ['find:destructive+unvetted']],
    ['find . -name x -print', ['find:']],
    // The allowlist's options, however they are written.
    ['grep -rn x .', ['grep:']],
    ['grep --only x a', ['grep:encoder']],
    ['grep -ho x a', ['grep:encoder']],
    ['head -n5 a', ['head:']],
    ['head -5 a', ['head:']],
    ['head -c5 a', ['head:encoder']],
    ['tail a -c 5', ['tail:encoder']],
    ['sort --compress-program=gzip a', ['sort:shell']],
    ['sort --bogus a', ['sort:unvetted']],
    ['date -s 2020-01-01', ['date:unvetted']],
    ['hostname evil', ['hostname:unvetted']],
    ['cat -n a', ['cat:']],
    ['tac -s , a', ['tac:encoder']],
    ['cut -d, -f2 a', ['cut:']],
    ['ls -la >/dev/null 2>&1', ['ls:']],
    ['ls >> log', ['ls:unvetted']],
  ])('%s', (line, expected) => {
    expect(judged(line)).toEqual(expected);
  });

  it.each([
    ['strace -f rm a', /strace runs a program/],
    ['sudo -Q rm a', /sudo -Q: an option the gateway does not know/],
    ['env -S "rm a"', /env -S cannot be inspected/],
    ['zsh -c "rm a"', /zsh -c scripts use a grammar/],
    ['bash -O expand_aliases -c x', /aliases/],
    ['alias ls=rm', /changes what command names mean/],
    ['hash -p /bin/rm ls', /changes what command names mean/],
    ['shopt -s expand_aliases', /changes what command names mean/],
    ['enable -f ./x.so x', /changes what command names mean/],
    ['export PATH=/tmp', /setting PATH/],
    ['LD_PRELOAD=/tmp/x.so cat a', /setting LD_PRELOAD/],
    ['env BASH_ENV=/tmp/x bash -c id', /setting BASH_ENV/],
    ['declare $x=1', /changes what command names mean/],
    ['coproc rm a', /coproc/],
    ['busybox', /busybox without an applet/],
    ['eval "$x"', /eval of a computed string/],
  ])('refuses to guess: %s', (line, why) => {
    expect(() => inspectExec(line)).toThrow(ShellSyntaxError);
    expect(() => inspectExec(line)).toThrow(why);
  });

  it('reports program names as base names, and computed ones as written', () => {
    expect(inspectExec('/usr/bin/env /bin/rm a').programs).toEqual(['env', 'rm']);
    expect(inspectExec('"$P" a').programs).toEqual(['$P']);
    expect(inspectExec("$'\\x72\\x6d' a").commands).toEqual([
      {
        program: 'rm',
        features: ['destructive', 'expansion', 'unvetted'],
        notes: {
          destructive: ['rm deletes, truncates or overwrites files'],
          expansion: ['"rm" is written in ANSI-C quoting, which only some shells decode'],
          unvetted: ['rm is not on the read-only allowlist'],
        },
      },
    ]);
  });

  it('lists the files a line reads, `<` redirections included', () => {
    // With -f the patterns come from a file, so every operand is a file.
    expect(inspectExec('grep -f pats.txt x a.log < b.log; wc -l c.txt').files).toEqual([
      'pats.txt',
      'x',
      'a.log',
      'b.log',
      'c.txt',
    ]);
  });
});

describe('reads of classified files', () => {
  const classified = compilePathPattern('exports/*.csv');
  const facts = (line: string) => inspectExec(line, { classified });
  const unmaskable = (line: string) =>
    (facts(line).commands ?? []).filter((c) => c.features.includes('unmaskable')).map((c) => c.program);

  it.each([
    ['head -2 exports/patients.csv', ['exports/patients.csv']],
    ['cat < /srv/data/exports/patients.csv', ['/srv/data/exports/patients.csv']],
    ['sort -t, -k2 ../x/../exports/a.csv | uniq -c | head', ['../x/../exports/a.csv']],
    ['grep -c x exports/a.csv', undefined],
    ['wc -l exports/a.csv', undefined],
    ['cat exports/a.txt', undefined],
  ])('%s masks by the file %j', (line, files) => {
    expect(facts(line).classifiedFiles).toEqual(files);
    expect(unmaskable(line)).toEqual([]);
  });

  it.each([
    ['cat exports/*.csv', ['cat']],
    ['cat "$F"', ['cat']],
    ['head exports/a.csv | awk 1', ['awk']],
    ['cat exports/a.csv exports/b.csv', ['cat']],
    ['echo "$(cat exports/a.csv)"', ['cat', 'echo']],
    ['cd exports; cat a.csv', ['cd']],
    ['grep -R x /srv', ['grep']],
    ['find . -exec cat {} +', ['cat']],
    ['ls | xargs cat', ['cat']],
    ['date -f exports/a.csv', ['date']],
    ['python3 x.py exports/a.csv', ['python3']],
  ])('%s cannot be masked (%j)', (line, programs) => {
    expect(unmaskable(line)).toEqual(programs);
  });

  it('leaves hosts without classified files alone', () => {
    expect(inspectExec('cat exports/*.csv | awk 1').features).not.toContain('unmaskable');
  });
});

describe('classification path patterns', () => {
  it.each([
    ['exports/*.csv', 'exports/patients.csv', true],
    ['exports/*.csv', 'patients.csv', true],
    ['exports/*.csv', '/home/lab/exports/patients.csv', true],
    ['exports/*.csv', './exports/../exports/patients.csv', true],
    ['exports/*.csv', '/tmp/link/../patients.csv', true],
    ['exports/*.csv', 'EXPORTS/Patients.CSV', true],
    ['exports/*.csv', '/home/lab/other/patients.csv', false],
    ['exports/*.csv', 'exports/patients.csv.bak', false],
    ['exports/*.csv', '.', false],
    ['/srv/exports/*.csv', '/home/exports/a.csv', false],
    ['/srv/exports/*.csv', 'a.csv', true],
    ['**/patients.csv', '/a/b/c/patients.csv', true],
    ['data/**/p?.json', 'data/x/y/p1.json', true],
  ])('%s ~ %s → %s', (pattern, path, expected) => {
    expect(compilePathPattern(pattern)(path)).toBe(expected);
  });
});

describe('option parsing as getopt_long does it', () => {
  const words = (...values: string[]): ShellWord[] =>
    values.map((value) => ({ value, dynamic: false, quoted: false }));
  const spec = { flags: 'ab', values: 'n', long: { bytes: 'value', 'byte-order': 'flag' } } as const;

  it('reads clusters, attached values, prefixes and options after operands', () => {
    const p = parseOptions(words('-abn5', 'file', '--bytes', '7', '--', '-x'), spec);
    expect(p.options.map((o) => [o.name, o.value?.value])).toEqual([
      ['-a', undefined],
      ['-b', undefined],
      ['-n', '5'],
      ['--bytes', '7'],
    ]);
    expect(p.operands.map((w) => w.value)).toEqual(['file', '-x']);
    // --byte is ambiguous (bytes, byte-order) and so unknown; --bytes= is exact.
    expect(parseOptions(words('--byte=1'), spec).unknown).toEqual(['--byte=1']);
    expect(parseOptions(words('--bytes=1'), spec).options[0]?.name).toBe('--bytes');
  });
});

describe('ANSI-C quoting', () => {
  it.each([
    ['\\x72\\x6d', 'rm'],
    ['\\162\\155', 'rm'],
    ['\\u0072m', 'rm'],
    ["a\\'b\\n", "a'b\n"],
    ['\\cA', '\x01'],
    ['\\q', '\\q'],
  ])('%s → %j', (body, decoded) => {
    expect(decodeAnsiC(body)).toBe(decoded);
  });
});
