import {
  inspectExec,
  inspectSession,
  ShellSyntaxError,
  scanShell,
} from '../../gateway-image/src/inspect/ssh';

const programs = (line: string) => inspectExec(line).programs;
// The line's shape; what each program is (shell, encoder, …) is tested in ssh-programs.test.ts.
const SHAPE = ['pipe', 'sequence', 'substitution', 'redirection', 'background'];
const features = (line: string) => inspectExec(line).features.filter((f) => SHAPE.includes(f));

describe('inspectExec: programs', () => {
  it.each([
    ['ls -la /tmp', ['ls']],
    ['\'ls\' "-la"', ['ls']],
    ['l\\s', ['ls']],
    ['FOO=1 BAR="x y" psql -c "select 1"', ['psql']],
    ['/usr/bin/psql -h db', ['psql']],
    ['cat a | grep b | wc -l', ['cat', 'grep', 'wc']],
    ['true && rm -rf x || echo no', ['true', 'rm', 'echo']],
    ['echo $(whoami) `hostname`', ['echo', 'whoami', 'hostname']],
    ['echo "$(cat /etc/passwd | head -1)"', ['echo', 'cat', 'head']],
    ['echo $(echo $(id))', ['echo', 'id']],
    ['diff <(sort a) >(tee b)', ['diff', 'sort', 'tee']],
    ['(cd /tmp; ls) ; { pwd; }', ['cd', 'ls', 'pwd']],
    ['if test -f x; then cat x; else touch x; fi', ['test', 'cat', 'touch']],
    ['for f in a b; do rm "$f"; done', ['rm']],
    ['while true; do sleep 1; done', ['true', 'sleep']],
    ['sudo -u postgres psql', ['sudo', 'psql']],
    ['env -i LC_ALL=C nice -n 5 rm x', ['env', 'nice', 'rm']],
    ['timeout 5 curl http://x', ['timeout', 'curl']],
    ['ls | xargs -I{} rm {}', ['ls', 'xargs', 'rm']],
    ["sh -c 'cat /etc/shadow; id'", ['sh', 'cat', 'id']],
    ['bash -lc "sudo rm -rf /"', ['bash', 'sudo', 'rm']],
    ["eval 'rm x'", ['eval', 'rm']],
    ['find . -name "*.log" -exec rm {} \\;', ['find', 'rm']],
    ['$CMD arg', ['$CMD']],
    ['ls # rm everything', ['ls']],
    ['cat <<EOF\nrm -rf /\nEOF\nid', ['cat', 'id']],
  ])('%j runs %j', (line, expected) => {
    // Nested command lines are reported as they close, so the order is not the reading order.
    expect([...programs(line)].sort()).toEqual([...expected].sort());
  });
});

describe('inspectExec: features', () => {
  it.each([
    ['ls', []],
    ['ls | wc', ['pipe']],
    ['ls |& wc', ['pipe']],
    ['ls; id', ['sequence']],
    ['ls\nid', ['sequence']],
    ['ls && id', ['sequence']],
    ['ls || id', ['sequence']],
    ['ls;', []],
    ['sleep 5 &', ['background']],
    ['echo $(id)', ['substitution']],
    ['echo `id`', ['substitution']],
    ['echo "`id`"', ['substitution']],
    ["echo '$(id)'", []],
    ['echo \\$\\(id\\)', []],
    ['ls > out', ['redirection']],
    ['ls 2>&1', ['redirection']],
    ['ls &> all', ['redirection']],
    ['cat < in', ['redirection']],
    ['cat <<< "word"', ['redirection']],
    ['ls>out', ['redirection']],
    ['echo 2 > x', ['redirection']],
    ['a | b && c > d $(e) &', ['background', 'pipe', 'redirection', 'sequence', 'substitution']],
  ])('%j uses %j', (line, expected) => {
    expect(features(line)).toEqual(expected);
  });

  it('does not treat a redirection target as a program', () => {
    expect(programs('> out ls')).toEqual(['ls']);
    expect(programs('2>/dev/null cat x')).toEqual(['cat']);
  });

  it('keeps the command line and the mode', () => {
    expect(inspectExec('id')).toEqual({
      protocol: 'ssh',
      mode: 'exec',
      programs: ['id'],
      commandLine: 'id',
      features: [],
      commands: [{ program: 'id', features: [] }],
    });
    expect(inspectSession('subsystem', 'sftp')).toMatchObject({ mode: 'subsystem', subsystem: 'sftp' });
  });
});

describe('inspectExec: words and quoting', () => {
  it('removes quotes and keeps expansions as written', () => {
    const [c] = scanShell(`printf '%s' "a b"\\ c "$HOME" x*`).commands;
    expect(c!.words.map((w) => w.value)).toEqual(['printf', '%s', 'a b c', '$HOME', 'x*']);
    expect(c!.words.map((w) => w.dynamic)).toEqual([false, false, false, true, true]);
  });
});

describe('inspectExec: refuses what it cannot follow', () => {
  it.each([
    ["echo 'unterminated"],
    ['echo "unterminated'],
    ['echo `id'],
    ['echo $(id'],
    ['ls )'],
    ['case x in a) rm;; esac'],
    ['f() { rm x; }'],
    ['function f { rm x; }'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    ['echo ${x:-$(rm y)}'],
    ['echo $((1 + $(id)))'],
    ['sh -c "$SCRIPT"'],
    ['eval "$X"'],
    ['cat <<EOF\n$(rm x)\nEOF'],
    ['a\0b'],
  ])('%j', (line) => {
    expect(() => inspectExec(line)).toThrow(ShellSyntaxError);
  });

  it('accepts a quoted here-document delimiter with substitutions in the body', () => {
    expect(programs("cat <<'EOF'\n$(rm x)\nEOF")).toEqual(['cat']);
  });
});
