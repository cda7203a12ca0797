import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
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

it('masks a very large JSON array as it streams', async () => {
  const r = await h.curl(`/ehr/big?count=${COUNT}`, ['-o', '/dev/null', '--max-time', '100']);
  expect(r.exitCode).toBe(0);
  const result = h.audit.find((a) => a.type === 'request.result')!.body as {
    bytes: number;
    masked: Record<string, number>;
  };
  expect(result.bytes).toBeGreaterThan(100 * 1024 * 1024);
  expect(result.masked['DOB/field']).toBe(COUNT);
  expect(result.masked.SSN).toBe(2 * COUNT);
}, 120_000);

it('holds the upstream back while the client is not reading: the body is never buffered', async () => {
  const start = h.upstream.bigBodyBytes;
  // Bytes the upstream had pushed 1.5 s and 3 s into the client's pause.
  const pushed: number[] = [];
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: 'localhost',
        port: h.port,
        path: `/ehr/big?count=${COUNT}`,
        ca: readFileSync(h.caFile),
        headers: { authorization: 'Bearer alice-token' },
      },
      (res) => {
        res.once('data', (first: Buffer) => {
          received += first.length;
          res.pause();
          // The client reads nothing for a while: once the buffers on the way are full, the gateway
          // must stop reading the upstream too, so the upstream stops pushing.
          setTimeout(() => pushed.push(h.upstream.bigBodyBytes - start), 1500);
          setTimeout(() => {
            pushed.push(h.upstream.bigBodyBytes - start);
            res.on('data', (c: Buffer) => {
              received += c.length;
            });
            res.resume();
          }, 3000);
        });
        res.once('end', resolve);
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
  const total = h.upstream.bigBodyBytes - start;
  expect(total).toBeGreaterThan(100 * 1024 * 1024);
  expect(received).toBeGreaterThan(100 * 1024 * 1024);
  // Socket buffers and stream high-water marks on both legs, not the 120 MB body.
  // Socket buffers and stream high-water marks on both legs fill, then nothing more moves.
  expect(pushed[0]).toBeLessThan(32 * 1024 * 1024);
  expect(pushed[1]! - pushed[0]!).toBeLessThan(1024 * 1024);
}, 120_000);
