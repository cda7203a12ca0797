import { inspectSql, LexingSettingError, loadSqlParser } from '../../gateway-image/src/inspect/sql';
import { parseStatements } from '../../gateway-image/src/inspect/sql/parser';
import { lexingValueAccepted, settingChanges } from '../../gateway-image/src/inspect/sql/settings';

beforeAll(() => loadSqlParser());

const changes = (text: string) => parseStatements(text).flatMap((s) => settingChanges(s.stmt));
const refusal = (text: string): string | undefined => {
  try {
    inspectSql(text);
    return undefined;
  } catch (err) {
    if (err instanceof LexingSettingError) return err.setting;
    throw err;
  }
};

describe('settingChanges: every way a statement changes a setting', () => {
  it.each([
    ['SET statement_timeout = 5000', [{ name: 'statement_timeout', value: '5000' }]],
    ['SET LOCAL lock_timeout TO 0', [{ name: 'lock_timeout', value: '0' }]],
    ["SET NAMES 'SJIS'", [{ name: 'client_encoding', value: 'SJIS' }]],
    ['RESET standard_conforming_strings', [{ name: 'standard_conforming_strings', value: 'default' }]],
    [
      'SET standard_conforming_strings TO DEFAULT',
      [{ name: 'standard_conforming_strings', value: 'default' }],
    ],
    ['RESET ALL', [{ name: 'all', value: 'default' }]],
    [
      'ALTER ROLE app SET standard_conforming_strings = off',
      [{ name: 'standard_conforming_strings', value: 'off' }],
    ],
    ['ALTER DATABASE d SET backslash_quote = on', [{ name: 'backslash_quote', value: 'on' }]],
    [
      'ALTER SYSTEM SET standard_conforming_strings = false',
      [{ name: 'standard_conforming_strings', value: 'false' }],
    ],
    [
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET client_encoding = 'BIG5' AS 'select 1'",
      [{ name: 'client_encoding', value: 'BIG5' }],
    ],
    ["SELECT set_config('Application_Name', 'x', false)", [{ name: 'application_name', value: 'x' }]],
    ["SELECT pg_catalog.set_config('a.b', 'off'::text, true)", [{ name: 'a.b', value: 'off' }]],
    ['SELECT set_config($1, $2, false)', [{ name: '*', value: 'computed' }]],
    ["SELECT set_config(lower('X'), 'y', false)", [{ name: '*', value: 'computed' }]],
    ["SELECT set_config('work_mem', current_setting('x'), false)", [{ name: 'work_mem', value: 'computed' }]],
    ["SELECT 1 FROM t WHERE EXISTS (SELECT set_config('role', 'r', false))", [{ name: 'role', value: 'r' }]],
    ["UPDATE pg_settings SET setting = 'off' WHERE name = 'x'", [{ name: '*', value: 'computed' }]],
    ["UPDATE pg_catalog.pg_settings SET setting = 'off'", [{ name: '*', value: 'computed' }]],
    ['SELECT 1', []],
  ])('%s', (text, expected) => {
    expect(changes(text)).toEqual(expected);
  });
});

describe('inspectSql refuses what would change how the server lexes SQL', () => {
  it.each([
    ['SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['SET standard_conforming_strings TO 0', 'standard_conforming_strings'],
    ["set standard_conforming_strings = 'of'", 'standard_conforming_strings'],
    ['SET LOCAL standard_conforming_strings = no', 'standard_conforming_strings'],
    ['SET SESSION standard_conforming_strings = false', 'standard_conforming_strings'],
    ['SET "STANDARD_CONFORMING_STRINGS" = off', 'standard_conforming_strings'],
    ["SELECT set_config('standard_conforming_strings', 'off', false)", 'standard_conforming_strings'],
    [
      "SELECT 1; SELECT set_config('standard_conforming_strings', 'off', false)",
      'standard_conforming_strings',
    ],
    [
      "PREPARE p AS SELECT set_config('standard_conforming_strings', 'off', false)",
      'standard_conforming_strings',
    ],
    [
      "SELECT set_config('standard_conforming_strings', current_setting('x'), false)",
      'standard_conforming_strings',
    ],
    ['SELECT set_config($1, $2, false)', '*'],
    ["UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", '*'],
    ['ALTER ROLE CURRENT_USER SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['ALTER DATABASE patients SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['ALTER SYSTEM SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ["SET NAMES 'SJIS'", 'client_encoding'],
    ["SET client_encoding = 'BIG5'", 'client_encoding'],
    ["SET client_encoding TO 'GBK'", 'client_encoding'],
    ["SET backslash_quote = 'on'", 'backslash_quote'],
    [
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = off AS 'select 1'",
      'standard_conforming_strings',
    ],
  ])('%s', (text, setting) => {
    expect(refusal(text)).toBe(setting);
  });

  it.each([
    'SET standard_conforming_strings = on',
    'SET standard_conforming_strings TO true',
    'RESET standard_conforming_strings',
    'SET standard_conforming_strings TO DEFAULT',
    'RESET ALL',
    'DISCARD ALL',
    "SET client_encoding = 'UTF8'",
    "SET NAMES 'utf-8'",
    "SET client_encoding TO 'unicode'",
    "SET client_encoding = 'SQL_ASCII'",
    "SELECT set_config('standard_conforming_strings', 'on', false)",
    "SELECT set_config('statement_timeout', $1, false)",
    "SELECT E'a\\\\' || 'b'",
  ])('allows %s', (text) => {
    expect(refusal(text)).toBeUndefined();
  });

  it('reports the settings a statement changes as facts, without values', () => {
    expect(inspectSql("SELECT set_config('application_name', 'x', false)").statements[0]!.settings).toEqual([
      'application_name',
    ]);
    expect(inspectSql('SET ROLE app').statements[0]!.settings).toEqual(['role']);
  });
});

describe('lexingValueAccepted (ParameterStatus from the upstream)', () => {
  it.each([
    ['standard_conforming_strings', 'on', true],
    ['standard_conforming_strings', 'off', false],
    ['client_encoding', 'UTF8', true],
    ['client_encoding', 'SQL_ASCII', true],
    ['client_encoding', 'SJIS', false],
    ['DateStyle', 'ISO, MDY', true],
  ])('%s = %s → %s', (name, value, accepted) => {
    expect(lexingValueAccepted(name, value)).toBe(accepted);
  });
});
