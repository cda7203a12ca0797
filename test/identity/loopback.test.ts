import { isLoopbackHost, isLoopbackUrl } from '../../gateway-image/src/identity/loopback';

describe('isLoopbackHost', () => {
  it('accepts loopback addresses and refuses a DNS name that starts with 127.', () => {
    for (const h of ['localhost', '::1', '127.0.0.1', '127.1.2.3']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['127.example.com', '0.0.0.0', '10.0.0.1', 'localhost.example.com']) {
      expect(isLoopbackHost(h)).toBe(false);
    }
    expect(isLoopbackUrl(new URL('http://[::1]:8444'))).toBe(true);
    expect(isLoopbackUrl(new URL('http://127.evil.example/'))).toBe(false);
  });
});
