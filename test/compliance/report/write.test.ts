import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMatrix, type Finding, writeHipaaReport } from '../../../constructs/src/compliance/report';

const f = (over: Partial<Finding>): Finding => ({
  ruleId: 'Warden-Example',
  level: 'error',
  status: 'compliant',
  resource: 'Stack/Res',
  message: 'ok',
  hipaaControl: '164.312(b)',
  ...over,
});

describe('buildMatrix', () => {
  it('lists every § 164.312 control in order, with no-checks where nothing ran', () => {
    const rows = buildMatrix([f({})]);
    expect(rows[0]?.control.id).toBe('164.312(a)(1)');
    expect(rows.find((r) => r.control.id === '164.312(b)')?.status).toBe('pass');
    expect(rows.find((r) => r.control.id === '164.312(d)')?.status).toBe('no-checks');
    expect(rows.some((r) => r.control.id === 'other')).toBe(false);
  });

  it('fails a control on an unacknowledged error, not on a warning', () => {
    const rows = buildMatrix([
      f({ status: 'non-compliant', level: 'warning', hipaaControl: '164.312(d)' }),
      f({ status: 'non-compliant', ruleId: 'R2' }),
    ]);
    expect(rows.find((r) => r.control.id === '164.312(b)')?.status).toBe('fail');
    expect(rows.find((r) => r.control.id === '164.312(d)')?.status).toBe('pass');
  });

  it('never turns could-not-validate into a pass', () => {
    const rows = buildMatrix([f({ status: 'could-not-validate' }), f({ ruleId: 'R2' })]);
    expect(rows.find((r) => r.control.id === '164.312(b)')?.status).toBe('could-not-validate');
  });

  it('puts unmapped rules in an "other" row', () => {
    const rows = buildMatrix([f({ hipaaControl: 'none' })]);
    expect(rows.at(-1)?.control.id).toBe('other');
  });
});

describe('writeHipaaReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes Markdown, HTML and JSON with acknowledgement reasons and escaped content', () => {
    const findings = [
      f({ status: 'acknowledged', acknowledgement: 'Log bucket cannot log to itself', resource: 'S/<Logs>' }),
      f({ ruleId: 'R|2', status: 'non-compliant', hipaaControl: '164.312(e)(1)' }),
    ];
    const out = writeHipaaReport(findings, dir, {
      title: 'Test',
      cloud: 'aws',
      packs: ['Warden'],
      generatedAt: '2025-01-01T00:00:00Z',
    });
    expect(out.blocking).toBe(1);
    const md = readFileSync(out.markdown, 'utf8');
    expect(md).toContain('| 164.312(b) | Audit controls |');
    expect(md).toContain('acknowledged: Log bucket cannot log to itself');
    expect(md).toContain('R\\|2');
    const html = readFileSync(out.html, 'utf8');
    expect(html).toContain('S/&#60;Logs&#62;');
    expect(html).not.toContain('S/<Logs>');
    const json = JSON.parse(readFileSync(out.json, 'utf8'));
    expect(json.summary).toMatchObject({ findings: 2, blocking: 1 });
    expect(
      json.matrix.find((r: { control: { id: string } }) => r.control.id === '164.312(e)(1)').status,
    ).toBe('fail');
  });
});
