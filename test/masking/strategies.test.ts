import { validateConfig } from '../../gateway-image/src/config/load';
import { masking } from '../../gateway-image/src/config/policy';
import { loadTokenKeyring } from '../../gateway-image/src/gateway/token-keys';
import type { Principal } from '../../gateway-image/src/identity/principal';
import { resolveMaskingPolicy } from '../../gateway-image/src/masking/profile';
import { applyStrategy, lastFour, strictest, yearOf } from '../../gateway-image/src/masking/strategies';
import { createTextMasker } from '../../gateway-image/src/masking/text-masker';
import { TokenKeyring } from '../../gateway-image/src/masking/token';

const KEY = 'k'.repeat(32);
const ctx = { tokens: new TokenKeyring({ key: KEY }) };

function agent(groups: string[] = ['agents']): Principal {
  return { subject: 'a', kind: 'agent', groups, issuer: 'i', expiresAt: new Date(8.64e15), via: 'oidc' };
}

describe('strategies', () => {
  test('redact labels the entity', () => {
    expect(applyStrategy('redact', 'SSN', '123-45-6789', ctx)).toBe('[SSN]');
  });
  test('partial keeps the last four and separators', () => {
    expect(applyStrategy('partial', 'SSN', '123-45-6789', ctx)).toBe('***-**-6789');
    expect(applyStrategy('partial', 'CARD', '4111111111111111', ctx)).toBe('************1111');
    expect(lastFour('1234')).toBeUndefined();
    expect(applyStrategy('partial', 'NAME', 'maria', ctx)).toBe('M.');
    expect(applyStrategy('partial', 'EMAIL', 'm.g@example.com', ctx)).toBe('***@example.com');
  });
  test('year generalises dates and redacts what is not one', () => {
    expect(applyStrategy('year', 'DOB', '1984-03-07', ctx)).toBe('1984');
    expect(applyStrategy('year', 'DOB', '03/07/1984', ctx)).toBe('1984');
    expect(applyStrategy('year', 'DOB', 'unknown', ctx)).toBe('[DOB]');
    expect(yearOf('2001-01-01 00:00:00+00')).toBe('2001');
  });
  test('null and raw', () => {
    expect(applyStrategy('null', 'SSN', 'x', ctx)).toBeNull();
    expect(applyStrategy('raw', 'SSN', 'x', ctx)).toBe('x');
  });
  test('token without a key fails closed to redaction', () => {
    expect(applyStrategy('token', 'SSN', '123-45-6789', { tokens: undefined })).toBe('[SSN]');
  });
  test('strictest picks the least revealing', () => {
    expect(strictest('partial', 'redact')).toBe('redact');
    expect(strictest('null', 'token')).toBe('null');
    expect(strictest('raw', 'year')).toBe('year');
  });
});

describe('tokens', () => {
  test('deterministic across keyrings (sessions) with the same key, per entity', () => {
    const a = new TokenKeyring({ key: KEY }).token('SSN', '123-45-6789');
    const b = new TokenKeyring({ key: KEY }).token('SSN', '123-45-6789');
    expect(a).toBe(b);
    expect(a).toMatch(/^tok_[0-9a-f]{6}_[A-Za-z0-9_-]{22}$/);
    expect(new TokenKeyring({ key: KEY }).token('MRN', '123-45-6789')).not.toBe(a);
    expect(a).not.toContain('6789');
  });
  test('rotation: new tokens use the new key, old tokens still verify', () => {
    const old = new TokenKeyring({ key: KEY }).token('SSN', '123-45-6789');
    const rotated = new TokenKeyring({ key: 'n'.repeat(32), previous: [KEY] });
    const fresh = rotated.token('SSN', '123-45-6789');
    expect(fresh).not.toBe(old);
    expect(rotated.matches(old, 'SSN', '123-45-6789')).toBe(true);
    expect(rotated.matches(fresh, 'SSN', '123-45-6789')).toBe(true);
    expect(rotated.matches(old, 'SSN', '123-45-6780')).toBe(false);
    expect(new TokenKeyring({ key: 'n'.repeat(32) }).matches(old, 'SSN', '123-45-6789')).toBe(false);
  });
  test('short keys are refused', () => {
    expect(() => new TokenKeyring({ key: 'short' })).toThrow(RangeError);
  });
});

describe('profiles and the text masker', () => {
  const config = masking.parse({
    profiles: [
      { name: 'break-glass', principals: { groups: ['break-glass'] }, default: 'raw' },
      { name: 'agents', principals: { kinds: ['agent'] }, default: 'redact', entities: { SSN: 'partial' } },
    ],
  });
  test('first matching profile applies; no match redacts everything', () => {
    expect(resolveMaskingPolicy(config, agent()).strategyFor('SSN')).toBe('partial');
    expect(resolveMaskingPolicy(config, agent(['break-glass'])).strategyFor('SSN')).toBe('raw');
    const human: Principal = { ...agent([]), kind: 'human' };
    const none = resolveMaskingPolicy(config, human);
    expect(none.profile).toBeUndefined();
    expect(none.strategyFor('EMAIL')).toBe('redact');
  });
  test('masks free text and counts per entity and strategy, never values', () => {
    const m = createTextMasker({ policy: resolveMaskingPolicy(config, agent()) });
    const r = m.mask('SSN 123-45-6789, mail maria.garcia@example.com');
    expect(r.text).toBe('SSN ***-**-6789, mail [EMAIL]');
    expect(r.counts).toEqual({ 'SSN:partial': 1, 'EMAIL:redact': 1 });
    expect(JSON.stringify(r.counts)).not.toContain('example');
  });
  test('text without identifiers is returned as is', () => {
    const m = createTextMasker({ policy: resolveMaskingPolicy(config, agent()) });
    expect(m.mask('')).toEqual({ text: '', counts: {} });
    expect(m.mask('nothing here')).toEqual({ text: 'nothing here', counts: {} });
  });
});

describe('token key rotation through the config', () => {
  it('tokens with the new key; earlier keys still verify', async () => {
    const secrets: Record<string, string> = {
      'env:OLD': 'old-key-0123456789abcdef',
      'env:NEW': 'new-key-0123456789abcdef',
    };
    const config = (tokenKey: string, previousTokenKeys: string[]) =>
      validateConfig({
        version: 1,
        identity: { issuers: [{ issuer: 'https://i.example/', audiences: ['a'] }] },
        audit: { dir: '/tmp/a', signingKey: 'env:K' },
        masking: { tokenKey, previousTokenKeys },
      }).masking;
    const resolve = async (ref: string) => secrets[ref]!;
    const before = (await loadTokenKeyring(config('env:OLD', []), resolve))!;
    const after = (await loadTokenKeyring(config('env:NEW', ['env:OLD']), resolve))!;
    const oldToken = before.token('SSN', '123-45-6789');
    const newToken = after.token('SSN', '123-45-6789');
    expect(newToken).not.toBe(oldToken);
    expect(after.token('SSN', '123-45-6789')).toBe(newToken);
    expect(after.matches(oldToken, 'SSN', '123-45-6789')).toBe(true);
    expect(after.matches(newToken, 'SSN', '123-45-6789')).toBe(true);
    expect(after.matches(oldToken, 'SSN', '123-45-6780')).toBe(false);
  });
});
