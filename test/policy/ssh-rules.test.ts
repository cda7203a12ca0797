import { policy as policySchema } from '../../gateway-image/src/config/policy';
import type { Principal } from '../../gateway-image/src/identity/principal';
import { inspectExec } from '../../gateway-image/src/inspect/ssh';
import { DEFAULT_AGENT_POLICY_RULES } from '../../gateway-image/src/policy/default-agent-policy';
import { createPolicyEngine } from '../../gateway-image/src/policy/engine';
import { agent, human } from '../support/principals';

describe('the default agent policy on SSH', () => {
  const engine = createPolicyEngine(policySchema.parse({ rules: DEFAULT_AGENT_POLICY_RULES }), {
    connections: [{ name: 'lab', phi: true }, { name: 'build' }],
  });
  const decide = (who: Principal, line: string, connection = 'lab') =>
    engine.decide(who, connection, inspectExec(line));

  it.each([
    [agent, 'x=r; y=m; $x$y f', 'deny-uninspectable-commands', '$x$y', ['expansion']],
    [human, '/bin/r? f', 'deny-uninspectable-commands', '/bin/r?', ['expansion']],
    [human, 'ls; nice sudo rm f', 'deny-destructive-commands', 'rm', ['destructive']],
    [human, 'truncate -s0 f', 'deny-destructive-commands', 'truncate', ['destructive']],
    [agent, 'sh', 'deny-agent-shells', 'sh', ['shell']],
    [agent, 'scp -f f', 'deny-agent-file-transfers', 'scp', ['transfer']],
    [human, 'cat f | base64', 'deny-encoders-on-phi-hosts', 'base64', ['encoder']],
    [agent, 'ls; touch f', 'deny-agent-unvetted-on-phi-hosts', 'touch', ['unvetted']],
  ])('%#: %s is refused by %s, naming %s and %j', (who, line, rule, program, features) => {
    expect(decide(who, line)).toMatchObject({ outcome: 'deny', rule, program, features });
  });

  it('allows the read-only allowlist to agents, and more to people and off PHI hosts', () => {
    expect(decide(agent, 'ls -la; grep -n x a | sort | uniq -c | head -5')).toEqual({
      outcome: 'allow',
      rule: 'allow-granted',
    });
    expect(decide(human, 'touch f; python3 x.py')).toMatchObject({ outcome: 'allow' });
    expect(decide(agent, 'touch f; base64 f', 'build')).toMatchObject({ outcome: 'allow' });
    expect(decide(agent, 'sh', 'build')).toMatchObject({ outcome: 'deny', rule: 'deny-agent-shells' });
  });

  it("decides each program with its own features, so one program's feature does not condemn another", () => {
    const custom = createPolicyEngine(
      {
        rules: [
          { name: 'allow', decision: 'allow', principals: {} },
          {
            name: 'hold-encoders',
            decision: 'require-approval',
            principals: {},
            ssh: { features: ['encoder'] },
          },
          {
            name: 'no-grep',
            decision: 'deny',
            principals: {},
            ssh: { programs: ['grep'], features: ['encoder'] },
          },
        ],
      },
      { connections: [] },
    );
    // grep itself is no encoder here: base64 is, and is held; grep is not denied.
    expect(custom.decide(human, 'h', inspectExec('grep x f | base64'))).toMatchObject({
      outcome: 'require-approval',
      rule: 'hold-encoders',
      program: 'base64',
    });
    expect(custom.decide(human, 'h', inspectExec('grep -o x f'))).toMatchObject({
      outcome: 'deny',
      rule: 'no-grep',
    });
  });
});
