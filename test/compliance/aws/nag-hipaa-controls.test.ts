/**
 * The HIPAA control of every cdk-nag HIPAA Security rule comes from Warden's own table. This test
 * fails when the installed cdk-nag adds (or drops) a rule the table does not know, so an upgrade
 * is a reviewed table change, never a silent row move in the reviewer's report.
 */
import { hipaaPackRules } from '../../../constructs/scripts/nag-hipaa-rules';
import { hipaaControlForNagRule, NAG_HIPAA_CONTROLS } from '../../../constructs/src/compliance/aws';
import { HIPAA_CONTROLS, OTHER_CONTROL, UNMAPPED_CONTROL } from '../../../constructs/src/compliance/report';

describe('NAG_HIPAA_CONTROLS', () => {
  const rules = hipaaPackRules();

  it('maps exactly the rules of the installed HIPAA Security pack (run constructs/scripts/nag-hipaa-rules.ts)', () => {
    expect(rules.length).toBeGreaterThan(80);
    expect(Object.keys(NAG_HIPAA_CONTROLS).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  it('files each rule under a § 164.312 control it cites, or "other" when it cites none', () => {
    const known = new Set(HIPAA_CONTROLS.map((c) => c.id));
    for (const r of rules) {
      const mapped = NAG_HIPAA_CONTROLS[r.id]!;
      const cited312 = r.controls.filter((c) => c.startsWith('164.312'));
      if (cited312.length === 0) expect([r.id, mapped]).toEqual([r.id, OTHER_CONTROL.id]);
      else expect([r.id, cited312.includes(mapped) && known.has(mapped)]).toEqual([r.id, true]);
    }
  });

  it('files a rule newer than the table under "unmapped", other packs under "other"', () => {
    expect(hipaaControlForNagRule('HIPAA.Security-S3BucketVersioningEnabled')).toBe('164.312(c)(1)');
    expect(hipaaControlForNagRule('HIPAA.Security-RuleFromTheFuture')).toBe(UNMAPPED_CONTROL.id);
    expect(hipaaControlForNagRule('AwsSolutions-IAM5[Resource::*]')).toBe(OTHER_CONTROL.id);
  });
});
