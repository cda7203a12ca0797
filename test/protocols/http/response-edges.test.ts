/**
 * The parts of a response around its body, with curl and Node's fetch as clients: headers that
 * can name a patient are masked like bodies, and the upstream timeout covers the whole response
 * (a body that stalls ends with an error the client can see and a `request.result` audit event;
 * a body that keeps coming, or a client that reads slowly, is not cut).
 */
import { nodeFetch } from '../../support/node-fetch';
import { type HttpHarness, startHttpHarness } from './harness';

const TIMEOUT_MS = 500;
const ssn = /\b\d{3}-\d{2}-\d{4}\b/;
const mrn = /MRN\d{8}/;

let h: HttpHarness;
beforeAll(async () => {
  h = await startHttpHarness({ upstreamTimeoutMs: TIMEOUT_MS });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.audit.length = 0;
  h.records.length = 0;
});

const fetchVia = (path: string, pause: { pauseMs?: number; pauseAfterBytes?: number } = {}) =>
  nodeFetch(`https://localhost:${h.port}${path}`, {
    caFile: h.caFile,
    headers: { authorization: 'Bearer alice-token' },
    ...pause,
  });

const lastResult = () => h.audit.filter((a) => a.type === 'request.result').at(-1)?.body;

describe('identifying response headers', () => {
  const expected = {
    location: 'https://upstream.test/fhir/Patient/[SSN]/_history/1',
    'content-location': '/fhir/Patient?identifier=[MRN]',
    link: '<https://upstream.test/fhir/Patient?ssn=[SSN]&page=2>; rel="next"',
    'content-disposition': 'attachment; filename="[MRN] [SSN].pdf"',
  };

  it.each([
    ['JSON', '/ehr/located'],
    ['a passed-through PDF', '/ehr/located?pdf'],
  ])('masks Location, Content-Location, Link and Content-Disposition on %s (curl)', async (_what, path) => {
    const r = await h.curl(path);
    expect(r.status).toBe(path.endsWith('pdf') ? 200 : 201);
    for (const [name, value] of Object.entries(expected))
      expect(r.headers).toContain(`${name}: ${value.toLowerCase()}`);
    expect(r.headers).toContain('x-request-id: req-7');
    expect(r.headers).not.toMatch(ssn);
    expect(r.headers).not.toMatch(/mrn\d{8}/);
    expect(lastResult()).toMatchObject({ masked: { SSN: 3, MRN: 2 } });
  });

  it('masks them for Node fetch too', async () => {
    const r = await fetchVia('/ehr/located');
    expect(r.status).toBe(201);
    expect(r.headers).toMatchObject(expected);
    expect(JSON.stringify(r.headers)).not.toMatch(ssn);
    expect(JSON.stringify(r.headers)).not.toMatch(mrn);
    expect(JSON.parse(r.body)).toEqual({ resourceType: 'Patient', id: 'p1' });
  });
});

describe('the upstream timeout covers the whole response', () => {
  it('answers 504 when the upstream sends its head and then nothing (curl and fetch)', async () => {
    for (const client of ['curl', 'fetch'] as const) {
      const started = Date.now();
      const r =
        client === 'curl' ? await h.curl('/ehr/stall-before-body') : await fetchVia('/ehr/stall-before-body');
      expect(r.status).toBe(504);
      expect(JSON.parse(r.body)).toMatchObject({
        code: 'ERR_HTTP_UPSTREAM_TIMEOUT',
        detail: 'the upstream did not answer in time',
      });
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 6);
      expect(lastResult()).toMatchObject({ status: 504, error: 'ERR_HTTP_UPSTREAM_TIMEOUT' });
    }
  });

  it('cuts a body that stalls midway, so the client sees an incomplete transfer (curl)', async () => {
    const r = await h.curl('/ehr/stall');
    expect(r.status).toBe(200);
    // curl: (18) transfer closed with outstanding read data remaining
    expect(r.exitCode).toBe(18);
    expect(r.body).toBe('{"resourceType":"Bundle","entry":[');
    expect(lastResult()).toMatchObject({ status: 200, error: 'ERR_HTTP_UPSTREAM_TIMEOUT' });
    expect(h.records.at(-1)?.status).toBe(200);
  });

  it('cuts a body that stalls midway, so fetch fails reading it', async () => {
    const r = await fetchVia('/ehr/stall');
    expect(r.status).toBe(200);
    expect(r.bodyError).toBeDefined();
    expect(lastResult()).toMatchObject({ error: 'ERR_HTTP_UPSTREAM_TIMEOUT' });
  });

  it('does not cut a body that keeps coming for longer than the timeout', async () => {
    const started = Date.now();
    const r = await h.curl('/ehr/trickle');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.body)).toEqual({ entry: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(Date.now() - started).toBeGreaterThan(TIMEOUT_MS * 2);
    expect(lastResult()).not.toHaveProperty('error');
    const f = await fetchVia('/ehr/trickle');
    expect(f.bodyError).toBeUndefined();
    expect(JSON.parse(f.body).entry).toHaveLength(10);
  });

  it('does not count a slow client against the upstream (fetch)', async () => {
    // About 20 MB, and a client that stops reading for four times the timeout once it has 2 MB:
    // the sockets' buffers fill up and the gateway waits for the client, not the upstream.
    const r = await fetchVia('/ehr/big?count=60000', { pauseMs: TIMEOUT_MS * 4, pauseAfterBytes: 2_000_000 });
    expect(r.bodyError).toBeUndefined();
    expect(r.bytes).toBeGreaterThan(20_000_000);
    expect(lastResult()).not.toHaveProperty('error');
    expect(lastResult()).toMatchObject({ status: 200, bytes: r.bytes, masked: { 'DOB/field': 60_000 } });
  }, 60_000);
});
