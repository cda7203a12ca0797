import { createDelimitedRowMasker, splitFields } from '../../gateway-image/src/masking/delimited-rows';
import { createJsonLineMasker } from '../../gateway-image/src/masking/json-lines';
import type { MaskingPolicy } from '../../gateway-image/src/masking/profile';
import type { MaskingStrategy } from '../../gateway-image/src/masking/strategies';
import type { TextMasker } from '../../gateway-image/src/masking/text-masker';

/** The sandbox agents' profile: NAME redact, SSN partial, DOB year, the rest redacted. */
const agents: MaskingPolicy = {
  profile: 'agents',
  strategyFor: (e) => (({ SSN: 'partial', DOB: 'year' }) as Record<string, MaskingStrategy>)[e] ?? 'redact',
};
/** Detectors stand-in: phone numbers only. */
const detectors: TextMasker = {
  mask: (text) => {
    const out = text.replace(/\b\d{3}-\d{3}-\d{4}\b/g, '[PHONE]');
    const counts: Record<string, number> = out === text ? {} : { 'PHONE:redact': 1 };
    return { text: out, counts };
  },
};

describe('delimited rows', () => {
  const header = 'id,name,dob,ssn,note';
  const masker = createDelimitedRowMasker({
    delimiter: ',',
    headerLine: header,
    columns: { NAME: 'NAME', dob: 'DOB', ssn: 'SSN' },
    policy: agents,
    text: detectors,
  });

  it('masks each column with its entity and passes the header and unclassified columns to detectors', () => {
    const out = masker.mask(`${header}\n7,"Roe, Jane",1980-05-12,123-45-6789,call 555-123-4567\n`);
    expect(out.text).toBe(`${header}\n7,"[NAME]",1980,***-**-6789,call [PHONE]\n`);
    expect(out.counts).toEqual({ 'NAME:redact': 1, 'DOB:year': 1, 'SSN:partial': 1, 'PHONE:redact': 1 });
  });

  it('masks a line that does not line up with the header as a whole', () => {
    for (const line of [
      '7,Jane Roe,1980-05-12,123-45-6789',
      '==> exports/p.csv <==',
      '7,"unterminated,1,2,3',
    ]) {
      expect(masker.mask(line).text).toBe('[PHI]');
    }
    expect(masker.mask('a,b,c,d,e\r\n').text).toBe('a,[NAME],[DOB],[SSN],e\r\n');
  });

  it('reads RFC 4180 quoting', () => {
    expect(splitFields('a,"b ""c"", d",,e', ',')).toEqual([
      { value: 'a', quoted: false },
      { value: 'b "c", d', quoted: true },
      { value: '', quoted: false },
      { value: 'e', quoted: false },
    ]);
    expect(splitFields('"a"x,b', ',')).toBeUndefined();
  });
});

describe('JSON lines', () => {
  const masker = createJsonLineMasker({
    fields: { '$..given': 'NAME', family: 'NAME', birthDate: 'DOB', ssn: 'SSN' },
    policy: agents,
    text: detectors,
  });

  it('masks members by name on pretty-printed lines and NDJSON records', () => {
    const pretty = [
      '  {',
      '    "name": {',
      '      "given": "Jane",',
      '      "family": "Roe"',
      '    },',
      '    "birthDate": "1980-05-12",',
      '    "ssn": "123-45-6789",',
      '    "phone": "555-123-4567"',
      '  },',
    ].join('\n');
    expect(masker.mask(pretty).text).toBe(
      [
        '  {',
        '    "name": {',
        '      "given":"[NAME]",',
        '      "family":"[NAME]"',
        '    },',
        '    "birthDate":"1980",',
        '    "ssn":"***-**-6789",',
        '    "phone":"[PHONE]"',
        '  },',
      ].join('\n'),
    );
    expect(masker.mask('{"ssn":"123-45-6789","name":{"given":["Jane"]}}').text).toBe(
      '{"ssn":"***-**-6789","name":{"given":["[NAME]"]}}',
    );
  });

  it('masks whole a line whose member cannot be known', () => {
    expect(masker.mask('      "Jane",').text).toBe('      [PHI]');
    expect(masker.mask('"note": "a string that goes on').text).toBe('[PHI]');
  });
});
