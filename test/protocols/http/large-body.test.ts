import { type HttpHarness, startHttpHarness } from './harness';

let h: HttpHarness;
beforeAll(async () => {
  h = await startHttpHarness();
});
afterAll(async () => {
  await h?.close();
});

// About 120 MB of FHIR JSON in one array, streamed by the upstream and counted by curl.
const COUNT = 300_000;

it('masks a very large JSON array in bounded memory', async () => {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const r = await h.curl(`/ehr/big?count=${COUNT}`, ['-o', '/dev/null', '--max-time', '100']);
  clearInterval(timer);
  expect(r.exitCode).toBe(0);
  const result = h.audit.find((a) => a.type === 'request.result')!.body as {
    bytes: number;
    masked: Record<string, number>;
  };
  expect(result.bytes).toBeGreaterThan(100 * 1024 * 1024);
  expect(result.masked['DOB/field']).toBe(COUNT);
  expect(result.masked.SSN).toBe(2 * COUNT);
  // Upstream and gateway share this process: a buffered body would hold the 120 MB it received and
  // its masked copy at once (over 240 MB); garbage not yet collected on a busy machine stays below.
  expect(peak - before).toBeLessThan(190 * 1024 * 1024);
}, 120_000);
