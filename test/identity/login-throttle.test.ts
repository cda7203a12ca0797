import { LoginThrottle, loginSource } from '../../gateway-image/src/identity/login-throttle';

describe('LoginThrottle', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('blocks a source on the failure after its budget, for blockMs, and not another source', () => {
    const c = clock();
    const t = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, blockMs: 10_000, now: c.now });
    expect([t.failed('a'), t.failed('a'), t.failed('a')]).toEqual([undefined, undefined, undefined]);
    expect(t.blockedFor('a')).toBe(0);
    expect(t.failed('a')).toEqual({ source: 'a', until: c.now() + 10_000 });
    expect(t.blockedFor('a')).toBe(10_000);
    expect(t.blockedFor('b')).toBe(0);
    c.advance(10_000);
    expect(t.blockedFor('a')).toBe(0);
  });

  it('refills the budget over the window, so slow failures never block', () => {
    const c = clock();
    const t = new LoginThrottle({ maxFailures: 2, windowMs: 60_000, blockMs: 10_000, now: c.now });
    for (let i = 0; i < 20; i++) {
      expect(t.failed('a')).toBeUndefined();
      c.advance(30_000);
    }
  });

  it('applies blocks decided elsewhere and keeps the longer one', () => {
    const c = clock();
    const t = new LoginThrottle({ maxFailures: 5, windowMs: 60_000, blockMs: 10_000, now: c.now });
    t.block('a', c.now() + 5000);
    t.block('a', c.now() + 1000);
    expect(t.blockedFor('a')).toBe(5000);
  });

  it('forgets the least recently failed sources first, keeping those still blocked', () => {
    const c = clock();
    const t = new LoginThrottle({
      maxFailures: 1,
      windowMs: 60_000,
      blockMs: 10_000,
      maxSources: 3,
      now: c.now,
    });
    t.failed('blocked');
    t.failed('blocked');
    for (const s of ['x', 'y', 'z']) t.failed(s);
    expect(t.blockedFor('blocked')).toBeGreaterThan(0);
  });
});

describe('loginSource', () => {
  it('counts IPv4 addresses as they are and IPv6 addresses by their /64', () => {
    expect(loginSource('10.1.2.3')).toBe('10.1.2.3');
    expect(loginSource('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(loginSource('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(loginSource('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(loginSource('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(loginSource('::1')).toBe('0:0:0:0::/64');
    expect(loginSource(undefined)).toBe('unknown');
  });
});
