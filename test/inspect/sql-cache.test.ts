import { loadSqlParser } from '../../gateway-image/src/inspect/sql';
import { cachedSqlInspector } from '../../gateway-image/src/inspect/sql/cache';

beforeAll(() => loadSqlParser());

describe('cachedSqlInspector', () => {
  it('returns the same frozen facts for the same text and search_path, separate ones otherwise', () => {
    const inspect = cachedSqlInspector();
    const a = inspect('select * from patients where id = $1', ['clinic']);
    expect(inspect('select * from patients where id = $1', ['clinic'])).toBe(a);
    expect(
      Object.isFrozen(a) && Object.isFrozen(a.statements[0]) && Object.isFrozen(a.statements[0]!.reads),
    ).toBe(true);
    expect(a.statements[0]!.reads).toEqual(['clinic.patients']);
    const b = inspect('select * from patients where id = $1', ['public']);
    expect(b.statements[0]!.reads).toEqual(['public.patients']);
  });

  it('drops the least recently used entry and never caches a syntax error', () => {
    const inspect = cachedSqlInspector({ maxEntries: 2 });
    const one = inspect('select 1 as one', []);
    inspect('select 1 as two', []);
    inspect('select 1 as one', []);
    inspect('select 1 as three', []);
    expect(inspect('select 1 as one', [])).toBe(one);
    expect(() => inspect('selec 1', [])).toThrow(expect.objectContaining({ code: 'ERR_SQL_SYNTAX' }));
    expect(() => inspect('selec 1', [])).toThrow(expect.objectContaining({ code: 'ERR_SQL_SYNTAX' }));
  });
});
