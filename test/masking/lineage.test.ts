import { loadSqlParser } from '../../gateway-image/src/inspect/sql';
import { builtinOpaque, type Lineage, SessionLineage } from '../../gateway-image/src/masking/lineage';
import { type ClassificationLookup, entityOfOutput } from '../../gateway-image/src/masking/lineage/resolve';

const CLASSIFIED: Record<string, string> = {
  'public.patients.ssn': 'SSN',
  'public.patients.first_name': 'NAME',
  'public.patients.date_of_birth': 'DOB',
  'public.encounters.note': 'NOTE',
};
const phi = (reads: string[] = ['public.patients']): ClassificationLookup => ({
  reads,
  fallback: 'SSN',
  entityOf(relation, column) {
    if (column === '*') {
      const hits = Object.entries(CLASSIFIED).filter(([k]) => k.startsWith(`${relation}.`));
      return hits.length > 0 ? 'SSN' : undefined;
    }
    return CLASSIFIED[`${relation}.${column}`];
  },
});
const catalog = { isOpaqueFunction: (n: string) => builtinOpaque(n) || n === 'get_ssn' };

beforeAll(() => loadSqlParser());

function entities(
  sql: string,
  lineage = new SessionLineage(catalog),
): (string | undefined)[] | 'unknown' | undefined {
  const l: Lineage | undefined = lineage.statements(sql, ['public']).at(-1);
  if (l === undefined || l === 'unknown') return l;
  return l.map((o) => (o.kind === 'star' ? `star:${o.relation}` : entityOfOutput(o, phi())));
}

describe('output lineage over parse trees', () => {
  test.each([
    ['SELECT id, ssn FROM patients', [undefined, 'SSN']],
    ['SELECT encode(ssn::bytea, $$hex$$) AS x, id + 1 FROM patients', ['SSN', undefined]],
    ['SELECT upper(first_name) || ssn FROM patients', ['SSN']],
    ['SELECT CASE WHEN id > 0 THEN first_name ELSE $$x$$ END FROM patients', ['NAME']],
    ['SELECT (SELECT ssn FROM patients p2 WHERE p2.id = p.id) FROM patients p', ['SSN']],
    ['WITH c AS (SELECT ssn AS s, id FROM patients) SELECT s, id FROM c', ['SSN', undefined]],
    ['SELECT x.a FROM (SELECT reverse(ssn) AS a FROM patients) x', ['SSN']],
    ['SELECT row_to_json(p) FROM patients p', ['SSN']],
    ['SELECT to_jsonb(p.*) FROM patients p', ['SSN']],
    [
      'SELECT array_agg(ssn), string_agg(first_name, $$,$$), json_agg(p) FROM patients p',
      ['SSN', 'NAME', 'SSN'],
    ],
    ['SELECT id FROM providers UNION SELECT ssn FROM patients', ['SSN']],
    ['SELECT l.v FROM patients p, LATERAL (SELECT p.ssn AS v) l', ['SSN']],
    ['SELECT first_value(ssn) OVER (ORDER BY id) FROM patients', ['SSN']],
    ['SELECT * FROM patients', ['star:public.patients']],
    ['SELECT t.* FROM (SELECT md5(ssn), id FROM patients) t', ['SSN', undefined]],
    ['UPDATE patients SET city = $$x$$ WHERE id = 1 RETURNING ssn, id', ['SSN', undefined]],
    ['SELECT get_ssn(1)', ['SSN']],
    ['SELECT query_to_xml($$select ssn from patients$$, true, true, $$$$)', ['SSN']],
    ['SELECT u FROM unnest((SELECT array_agg(ssn) FROM patients)) u', ['SSN']],
    ['VALUES (1, 2)', [undefined, undefined]],
  ])('%s', (sql, want) => {
    expect(entities(sql)).toEqual(want);
  });

  test('statements that return no table rows have no lineage', () => {
    expect(entities('SET search_path = public')).toBeUndefined();
    expect(entities('SELECT ssn INTO copy FROM patients')).toBeUndefined();
  });

  test('cursors and SQL-level prepared statements keep the lineage of their query', () => {
    const s = new SessionLineage(catalog);
    s.statements('DECLARE c CURSOR FOR SELECT upper(ssn) FROM patients', ['public']);
    expect(entities('FETCH 10 FROM c', s)).toEqual(['SSN']);
    s.statements('PREPARE q AS SELECT id, ssn FROM patients', ['public']);
    expect(entities('EXECUTE q', s)).toEqual([undefined, 'SSN']);
    expect(entities('FETCH 1 FROM nope', s)).toBe('unknown');
  });

  test('COPY (query) TO STDOUT has the query lineage; COPY table has the table star', () => {
    expect(entities('COPY (SELECT ssn FROM patients) TO STDOUT')).toEqual(['SSN']);
    expect(entities('COPY patients TO STDOUT')).toEqual(['star:public.patients']);
  });
});
