import { createDetectors, scan } from '../../gateway-image/src/masking/detectors';

const detectors = createDetectors();
const found = (text: string) => scan(text, detectors).map((d) => [d.entity, text.slice(d.start, d.end)]);

describe('detectors: true positives', () => {
  test.each([
    ['SSN', 'Insurance verification by SSN 123-45-6789.', '123-45-6789'],
    ['SSN', 'SSN 123456789 on file', '123456789'],
    ['SSN', 'ssn: 234 56 7890', '234 56 7890'],
    ['MRN', 'chart MRN04512345 reviewed', 'MRN04512345'],
    ['MRN', 'MRN: 04512345', '04512345'],
    ['DOB', 'DOB 1984-03-07', '1984-03-07'],
    ['DOB', 'DOB 03/07/1984', '03/07/1984'],
    ['DOB', 'born on March 7, 1984 in Ohio', 'March 7, 1984'],
    ['PHONE', 'Called from 312-555-0142 about symptoms.', '312-555-0142'],
    ['PHONE', 'call (415) 555-0199 today', '(415) 555-0199'],
    ['PHONE', 'reach +1 212.555.0100', '+1 212.555.0100'],
    ['EMAIL', 'results by email at maria.garcia@example.com.', 'maria.garcia@example.com'],
    ['CARD', 'card 4111 1111 1111 1111 charged', '4111 1111 1111 1111'],
    ['CARD', 'amex 378282246310005', '378282246310005'],
    ['IP', 'login from 10.20.30.40 failed', '10.20.30.40'],
    ['IP', 'from 2001:db8::8a2e:370:7334 too', '2001:db8::8a2e:370:7334'],
    ['PASSPORT', 'passport number 123456789', '123456789'],
    ['MBI', 'Medicare 1EG4-TE5-MK73 active', '1EG4-TE5-MK73'],
    ['MBI', 'MBI 1EG4TE5MK73', '1EG4TE5MK73'],
    ['NPI', 'referring NPI 1234567893', '1234567893'],
    ['ADDRESS', 'Lives at 4821 Oak Ave, Chicago, IL 60601.', '4821 Oak Ave, Chicago, IL 60601'],
    ['ADDRESS', 'ship to 12 Maple Drive', '12 Maple Drive'],
    ['NAME', 'Patient Maria Garcia seen today', 'Maria Garcia'],
    ['NAME', 'per Garcia, Maria in triage', 'Garcia, Maria'],
    ['NAME', 'signed -- Dr. Okafor', 'Okafor'],
    // Every context word and form a detector's prefilter must let through (types.ts, `prefilter`).
    ['DOB', 'D.O.B.: 1984-03-07', '1984-03-07'],
    ['DOB', 'date of birth 03/07/1984', '03/07/1984'],
    ['DOB', 'Birthday: 7 March 1984', '7 March 1984'],
    ['DOB', 'birth date 1984-03-07', '1984-03-07'],
    ['IP', 'peer fe80:0:0:0:202:b3ff:fe1e:8329 up', 'fe80:0:0:0:202:b3ff:fe1e:8329'],
    ['IP', 'bound to 2001:DB8::1 now', '2001:DB8::1'],
    ['MRN', 'medical record number 12345678', '12345678'],
    ['MRN', 'MEDICAL RECORD NO. AB1234567', 'AB1234567'],
    ['ADDRESS', 'moved to Springfield, IL 62704 last year', 'IL 62704'],
  ])('%s in %j', (entity, text, value) => {
    expect(found(text)).toContainEqual([entity, value]);
  });
});

describe('detectors: false positives', () => {
  test.each([
    ['an invalid SSN area', 'ticket 666-12-3456 and 000-12-3456 and 912-12-3456'],
    ['an SSN with group 00', 'code 123-00-4567'],
    ['nine bare digits without the word', 'order 123456789 shipped'],
    ['a version number', 'upgrade to v1.2.3.4 or 10.0.19041.1'],
    ['an octet over 255', 'address 300.1.1.1 is invalid'],
    ['a card failing Luhn', 'ref 4111 1111 1111 1112'],
    ['ten digits without NPI', 'epoch 1234567893 seconds'],
    ['a date without birth context', 'released on 2024-03-01'],
    ['a phone-like id without separators', 'id 3125550142'],
    ['a lowercase street phrase', 'we had 3 main roads closed'],
    ['a capitalised non-name pair', 'The Patient Portal and Query Planner'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a git hash', 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8'],
  ])('%s', (_why, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('scan', () => {
  test('overlapping detections become one span, the longer entity wins', () => {
    const text = 'Lives at 4821 Oak Ave, Chicago, IL 60601.';
    expect(scan(text, detectors)).toHaveLength(1);
  });

  test('a configured MRN pattern replaces the default shape', () => {
    const custom = createDetectors({ mrnPatterns: ['\\bH-\\d{6}\\b'] });
    expect(scan('chart H-123456', custom).map((d) => d.entity)).toEqual(['MRN']);
  });
});
