import { createAccessChecker, type GrantSource } from '../../gateway-image/src/access/grants';
import { access as accessSchema } from '../../gateway-image/src/config/policy';
import { agent, human, principal } from '../support/principals';

const config = accessSchema.parse({
  grants: [
    { name: 'clinicians-ehr', connections: ['ehr'], principals: { groups: ['clinicians'] } },
    {
      name: 'bots-analytics',
      connections: ['analytics'],
      principals: { kinds: ['agent'], groups: ['agents'] },
    },
    { name: 'admin-all', connections: ['*'], principals: { subjects: ['root-admin'] } },
  ],
});

describe('createAccessChecker', () => {
  it('allows through the first matching standing grant', () => {
    const checker = createAccessChecker(config);
    expect(checker.check(human, 'ehr')).toEqual({ allowed: true, grant: 'clinicians-ehr' });
    expect(checker.check(agent, 'analytics')).toEqual({ allowed: true, grant: 'bots-analytics' });
    expect(checker.check(principal('human', 'root-admin'), 'anything')).toEqual({
      allowed: true,
      grant: 'admin-all',
    });
  });

  it('refuses with a reason that names who, what, and how to get access', () => {
    expect(createAccessChecker(config).check(agent, 'patients')).toEqual({
      allowed: false,
      reason:
        'no grant gives agent "ci-bot" (groups: agents) access to connection "patients"; ask an administrator for a grant',
    });
    const jit = createAccessChecker(accessSchema.parse({ justInTime: { approverGroups: ['leads'] } }));
    expect(jit.check(principal('human', 'x'), 'ehr')).toEqual({
      allowed: false,
      reason:
        'no grant gives human "x" (groups: none) access to connection "ehr"; ask an administrator for a grant or request just-in-time access',
    });
  });

  it('consults grant sources after standing grants and ignores expired grants', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const soon = new Date(now.getTime() + 60_000);
    const later = new Date(now.getTime() + 3600_000);
    const source: GrantSource = {
      grantsFor: (p, c) =>
        p.subject === 'ci-bot' && c === 'ehr'
          ? [
              { name: 'jit-expired', expiresAt: new Date(now.getTime() - 1) },
              { name: 'jit-short', expiresAt: soon },
              { name: 'jit-long', expiresAt: later },
            ]
          : [],
    };
    const checker = createAccessChecker(config, { sources: [source], now: () => now });
    expect(checker.check(agent, 'ehr')).toEqual({ allowed: true, grant: 'jit-long', expiresAt: later });
    expect(checker.check(human, 'ehr')).toEqual({ allowed: true, grant: 'clinicians-ehr' });
    expect(checker.check(agent, 'billing')).toMatchObject({ allowed: false });
  });
});
