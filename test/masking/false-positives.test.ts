import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDetectors, scan } from '../../gateway-image/src/masking/detectors';

const DIR = join(__dirname, '..', 'fixtures', 'non-phi-corpus');

test('the non-PHI corpus yields (almost) no detections', () => {
  const detectors = createDetectors();
  let bytes = 0;
  const hits: string[] = [];
  for (const file of readdirSync(DIR)) {
    const text = readFileSync(join(DIR, file), 'utf8');
    bytes += Buffer.byteLength(text);
    for (const d of scan(text, detectors)) hits.push(`${file}: ${d.entity} ${text.slice(d.start, d.end)}`);
  }
  // The rate is reported per KiB of text; the budget is one detection per 10 KiB.
  const perKiB = hits.length / (bytes / 1024);
  console.log(`non-PHI corpus: ${bytes} bytes, ${hits.length} detections (${perKiB.toFixed(3)}/KiB)`, hits);
  expect(perKiB).toBeLessThanOrEqual(0.1);
});
