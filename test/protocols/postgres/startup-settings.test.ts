import {
  StartupParameterError,
  settingAsSql,
  startupSettings,
  upstreamApplicationName,
} from '../../../gateway-image/src/protocols/postgres/session/startup-settings';

const settings = (params: Record<string, string>) => startupSettings(new Map(Object.entries(params)));

describe('startupSettings', () => {
  it('takes top-level settings and leaves the protocol parameters out', () => {
    expect(
      settings({
        user: 'agent',
        database: 'patients',
        application_name: 'psql',
        client_encoding: 'UTF8',
        DateStyle: 'ISO, MDY',
        statement_timeout: '1234',
        '_pq_.protocol_managed_params': 'x',
      }),
    ).toEqual(
      new Map([
        ['client_encoding', 'UTF8'],
        ['datestyle', 'ISO, MDY'],
        ['statement_timeout', '1234'],
      ]),
    );
  });

  it('reads options as the server does: -c, -cname=, --name=, escaped spaces, dashes as underscores', () => {
    expect(
      settings({
        options:
          '-c statement_timeout=1234 -csearch_path=app,public --lock-timeout=5s -c warden.reason=incident\\ 42 -c application_name=x\\\\y',
      }),
    ).toEqual(
      new Map([
        ['statement_timeout', '1234'],
        ['search_path', 'app,public'],
        ['lock_timeout', '5s'],
        ['warden.reason', 'incident 42'],
        ['application_name', 'x\\y'],
      ]),
    );
    // The server applies options first, then the top-level parameters: the top-level one wins.
    expect(
      settings({ statement_timeout: '1', options: '-c statement_timeout=2' }).get('statement_timeout'),
    ).toBe('1');
  });

  it.each([
    [{ replication: 'database' }, 'replication'],
    [{ options: '-F' }, 'options'],
    [{ options: '-B 100' }, 'options'],
    [{ options: '-c' }, 'options'],
    [{ options: '-c statement_timeout' }, 'options'],
    [{ options: '--=x' }, 'options'],
  ])('refuses %j naming %s', (params, parameter) => {
    expect(() => settings(params)).toThrow(StartupParameterError);
    try {
      settings(params);
    } catch (err) {
      expect((err as StartupParameterError).parameter).toBe(parameter);
    }
  });

  it('writes each setting as the SET statement policy judges', () => {
    expect(settingAsSql('statement_timeout', "1'; DROP TABLE t; --")).toBe(
      `SET "statement_timeout" = '1''; DROP TABLE t; --'`,
    );
    expect(settingAsSql('app.tenant', 'x')).toBe(`SET "app"."tenant" = 'x'`);
  });
});

describe('upstreamApplicationName', () => {
  it("keeps the client's name and adds the principal, within 63 bytes", () => {
    expect(upstreamApplicationName('psql', 'alice@example.org')).toBe('psql (warden:alice@example.org)');
    expect(upstreamApplicationName(undefined, 'alice')).toBe('warden:alice');
    expect(upstreamApplicationName('  ', 'alice')).toBe('warden:alice');
    const long = upstreamApplicationName('x'.repeat(100), 'alice@example.org');
    expect(long.length).toBe(63);
    expect(long.endsWith(' (warden:alice@example.org)')).toBe(true);
    expect(upstreamApplicationName('app', 's'.repeat(80))).toHaveLength(63);
    expect(upstreamApplicationName('caf\u00e9\n', 'bob')).toBe('caf?? (warden:bob)');
  });
});
