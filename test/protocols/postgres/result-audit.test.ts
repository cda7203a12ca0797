import { ResultAudit } from '../../../gateway-image/src/protocols/postgres/results/result-audit';
import type { CompletedResult } from '../../../gateway-image/src/protocols/postgres/results/result-tracker';

const facts = (fingerprint: string) =>
  ({ protocol: 'postgres', statements: [], normalized: '', fingerprint }) as const;

const exec = (statement: string, rows: number, extra: Partial<CompletedResult> = {}): CompletedResult => ({
  via: 'execute',
  facts: facts(`fp-${statement}`),
  statement,
  outcome: 'ok',
  rows,
  bytes: rows * 10,
  tags: [`SELECT ${rows}`],
  sqlState: undefined,
  durationMs: 0.5,
  ...extra,
});

describe('ResultAudit', () => {
  it('folds consecutive successful executions of one statement, in the order results completed', () => {
    const bodies: Record<string, unknown>[] = [];
    const audit = new ResultAudit({ emit: (b) => bodies.push(b) });
    audit.result(exec('s1', 1));
    audit.result(exec('s1', 2));
    audit.result(exec('s2', 3));
    audit.result(exec('s2', 0, { outcome: 'error', sqlState: '22012', tags: [] }));
    audit.result({ ...exec('', 5), via: 'query', statement: undefined });
    audit.flush();
    expect(bodies).toEqual([
      expect.objectContaining({
        statement: 's1',
        executions: 2,
        rows: 3,
        bytes: 30,
        tags: ['SELECT'],
        durationMs: 1,
      }),
      expect.objectContaining({ statement: 's2', executions: 1, rows: 3, tags: ['SELECT 3'] }),
      expect.objectContaining({ statement: 's2', outcome: 'error', sqlState: '22012' }),
      expect.objectContaining({ via: 'query', rows: 5 }),
    ]);
    expect(bodies[2]).not.toHaveProperty('executions');
  });

  it('writes a fold after maxExecutions and after maxAgeMs', async () => {
    const bodies: Record<string, unknown>[] = [];
    const audit = new ResultAudit({ emit: (b) => bodies.push(b), maxExecutions: 3, maxAgeMs: 50 });
    for (let i = 0; i < 4; i++) audit.result(exec('s', 1));
    expect(bodies).toEqual([expect.objectContaining({ executions: 3 })]);
    await new Promise((r) => setTimeout(r, 120));
    expect(bodies).toEqual([
      expect.objectContaining({ executions: 3 }),
      expect.objectContaining({ executions: 1 }),
    ]);
  });
});
