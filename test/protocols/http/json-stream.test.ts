import { JsonMaskRewriter } from '../../../gateway-image/src/masking/json-stream';
import { compileFieldPaths } from '../../../gateway-image/src/masking/json-stream-path';
import { bundle } from './fhir-upstream';
import { regexMasker } from './harness';

const fields = compileFieldPaths({
  '$.entry[*].resource.name': 'NAME',
  '$..birthDate': 'DOB',
  '$..telecom': 'PHONE',
});

function rewrite(text: string, chunkSize: number): string {
  const rw = new JsonMaskRewriter({ masker: regexMasker, fields });
  const buf = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) out.push(rw.write(buf.subarray(i, i + chunkSize)));
  out.push(rw.end());
  return Buffer.concat(out).toString('utf8');
}

describe('streaming JSON rewriter', () => {
  const doc = `${JSON.stringify(bundle(3), null, 2)}\n{"note":"caf\\u00e9 \\"q\\" 123-45-6789 \u4e2d\u6587"}`;
  const whole = rewrite(doc, doc.length);

  it('masks field paths whole and detectors in every other string', () => {
    const [first, second] = whole.split('\n{');
    const masked = JSON.parse(first!);
    expect(masked.entry[2].resource.name).toEqual([{ family: '[NAME]', given: ['[NAME]'] }]);
    expect(masked.entry[2].resource.birthDate).toBe('[DOB]');
    expect(masked.entry[2].resource.identifier[0].value).toBe('[SSN]');
    expect(masked.total).toBe(3);
    expect(JSON.parse(`{${second}`).note).toBe('café "q" [SSN] 中文');
  });

  it('gives the same bytes however the input is split (front, middle, end of tokens; inside UTF-8)', () => {
    for (const size of [1, 2, 3, 5, 7, 64]) expect(rewrite(doc, size)).toBe(whole);
  });

  it('copies untouched tokens byte for byte, whitespace included', () => {
    const plain = '{ "a" : [1, 2.5e3, true, null] ,"b":"x\\/y" }';
    expect(rewrite(plain, 4)).toBe(plain);
  });

  it.each([['[123-45-6789]'], ['{"a" 1}'], ['[1,]'], ['{"a":1'], ['"abc'], ['{"a":1]'], ['["\u0001"]']])(
    'refuses invalid JSON %p without echoing it',
    (bad) => {
      expect(() => rewrite(bad, 2)).toThrow(/not valid JSON|ended early/);
      try {
        rewrite(bad, 2);
      } catch (err) {
        expect((err as Error).message).not.toContain('123-45');
      }
    },
  );

  it('masks identifiers in member names too, still following field paths by the real name', () => {
    const doc = '{"byMrn":{"MRN12345678":{"123-45-6789":true}},"entry":[{"resource":{"name":"x"}}]}';
    for (const size of [1, 5, doc.length]) {
      const out = rewrite(doc, size);
      expect(JSON.parse(out).byMrn).toEqual({ '[MRN]': { '[SSN]': true } });
      expect(out).not.toMatch(/\d{3}-\d{2}-\d{4}/);
      expect(JSON.parse(out).entry[0].resource.name).toBe('[NAME]');
    }
  });

  it('refuses a token longer than the limit', () => {
    const rw = new JsonMaskRewriter({ masker: regexMasker, maxTokenBytes: 10 });
    expect(() => rw.write(Buffer.from('["aaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))).toThrow(/longer than/);
  });

  describe('code members beneath a classified object', () => {
    const human = {
      use: 'official',
      family: 'Chalmers',
      given: ['Peter', 'James'],
      period: { start: '2001-05-06', end: '2014-01-01' },
      _family: {
        extension: [
          { url: 'http://hl7.org/fhir/StructureDefinition/humanname-own-prefix', valueString: 'VV' },
        ],
      },
    };
    const phone = { system: 'phone', value: '(03) 5555 6473', use: 'work', rank: 1 };
    const doc = JSON.stringify({ resourceType: 'Patient', name: [human], telecom: [phone], active: true });
    const rules = { '$..name': 'NAME', '$..telecom': 'PHONE' };
    const run = (fields: ReturnType<typeof compileFieldPaths>, size: number) => {
      const rw = new JsonMaskRewriter({ masker: regexMasker, fields });
      const buf = Buffer.from(doc);
      const out: Buffer[] = [];
      for (let i = 0; i < buf.length; i += size) out.push(rw.write(buf.subarray(i, i + size)));
      out.push(rw.end());
      return JSON.parse(Buffer.concat(out).toString('utf8'));
    };

    it('keeps code members (use, system, period, rank, url) and masks every other value', () => {
      const fhirCodes = compileFieldPaths(rules, {
        codeMembers: ['use', 'system', 'type', 'period', 'rank', 'url'],
      });
      for (const size of [1, 3, doc.length]) {
        const out = run(fhirCodes, size);
        expect(out.name).toEqual([
          {
            use: 'official',
            family: '[NAME]',
            given: ['[NAME]', '[NAME]'],
            period: human.period,
            _family: { extension: [{ url: human._family.extension[0]!.url, valueString: '[NAME]' }] },
          },
        ]);
        expect(out.telecom).toEqual([{ system: 'phone', value: '[PHONE]', use: 'work', rank: 1 }]);
        expect(out.active).toBe(true);
      }
    });

    it('still masks a code member a path names itself, and everything when there are none', () => {
      const direct = run(
        compileFieldPaths({ ...rules, '$..system': 'PHONE' }, { codeMembers: ['system', 'use'] }),
        4,
      );
      expect(direct.telecom[0]).toMatchObject({ system: '[PHONE]', use: 'work' });
      const none = run(compileFieldPaths(rules), 4);
      expect(none.telecom).toEqual([
        { system: '[PHONE]', value: '[PHONE]', use: '[PHONE]', rank: '[PHONE]' },
      ]);
      expect(none.name[0].period).toEqual({ start: '[NAME]', end: '[NAME]' });
    });

    it('leaves code members to the detectors', () => {
      const leaky = JSON.stringify({ telecom: [{ system: 'SSN 123-45-6789', value: 'x' }] });
      const rw = new JsonMaskRewriter({
        masker: regexMasker,
        fields: compileFieldPaths(rules, { codeMembers: ['system'] }),
      });
      const out = JSON.parse(Buffer.concat([rw.write(Buffer.from(leaky)), rw.end()]).toString('utf8'));
      expect(out.telecom[0]).toEqual({ system: 'SSN [SSN]', value: '[PHONE]' });
    });
  });
});
