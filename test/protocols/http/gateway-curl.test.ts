import { type HttpHarness, startHttpHarness, UPSTREAM_TOKEN } from './harness';

let h: HttpHarness;
beforeAll(async () => {
  h = await startHttpHarness({ withApprovalHook: true });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.audit.length = 0;
  h.records.length = 0;
  h.approve = undefined;
  h.auditDown = false;
});

const ssn = /\b\d{3}-\d{2}-\d{4}\b/;

describe('HTTP gateway with curl', () => {
  it('routes /<name>/, swaps the bearer token for the upstream credential and masks the JSON', async () => {
    const r = await h.curl('/ehr/Patient?_count=2&name=Family1');
    expect(r.status).toBe(200);
    expect(h.upstream.lastUrl).toBe('/fhir/Patient?_count=2&name=Family1');
    expect(h.upstream.lastHeaders?.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
    const doc = JSON.parse(r.body);
    const p = doc.entry[1].resource;
    expect(p.name).toEqual([{ family: '[NAME]', given: ['[NAME]'] }]);
    expect(p.birthDate).toBe('[DOB]');
    // A code member under a classified field says what kind of value it is: kept (codeMembers).
    expect(p.telecom).toEqual([{ system: 'phone', value: '[PHONE]' }]);
    expect(p.identifier[0].value).toBe('[SSN]');
    expect(p.identifier[1].value).toBe('[MRN]');
    expect(p.text.div).toBe('Patient with SSN [SSN] seen today.');
    expect(p.active).toBe(true);
    expect(r.body).not.toMatch(ssn);
    expect(r.body).not.toContain('Family1');
  });

  it('audits the attempt before forwarding and the result after, without query values or PHI', async () => {
    await h.curl('/ehr/Patient?_count=1&name=Family1');
    expect(h.audit.map((a) => a.type)).toEqual(['request.attempt', 'request.result']);
    const [attempt, result] = h.audit;
    expect(attempt!.body).toMatchObject({
      facts: { protocol: 'http', method: 'GET', path: '/Patient', query: ['_count', 'name'] },
      decision: { outcome: 'allow' },
    });
    expect(result!.body).toMatchObject({ status: 200, body: 'json' });
    expect((result!.body as { masked: Record<string, number> }).masked['NAME/field']).toBe(2);
    expect(JSON.stringify(h.audit)).not.toMatch(/Family1|\d{3}-\d{2}-\d{4}/);
    expect(h.records[0]?.responseBody).toContain('[SSN]');
    expect(h.records[0]?.responseBody).not.toMatch(ssn);
  });

  it('masks identifiers in the path in the audit log, but decides on the real path', async () => {
    await h.curl('/ehr/Patient/123-45-6789');
    expect((h.audit[0]!.body as { facts: { path: string } }).facts.path).toBe('/Patient/[SSN]');
  });

  it('masks identifiers in the path for the recorder and for approvers', async () => {
    await h.curl('/ehr/Patient/123-45-6789');
    expect(h.records[0]?.facts.path).toBe('/Patient/[SSN]');
    h.held.length = 0;
    h.approve = (d) => ({ outcome: 'allow', rule: 'rule' in d ? d.rule : 'x' });
    await h.curl('/ehr/Patient/held/123-45-6789');
    expect(h.held[0]?.facts.path).toBe('/Patient/held/[SSN]');
    expect(JSON.stringify(h.held[0])).not.toMatch(ssn);
  });

  it('routes by Host header', async () => {
    const r = await h.curl(`https://fhir.local:${h.port}/Patient/7`, [
      '--resolve',
      `fhir.local:${h.port}:127.0.0.1`,
    ]);
    expect(r.status).toBe(200);
    expect(h.upstream.lastUrl).toBe('/fhir/Patient/7');
    expect(h.audit[0]?.connection).toBe('byhost');
    expect(r.body).not.toMatch(ssn);
  });

  it.each([['gzip'], ['br']])('decodes %s bodies, masks them and sends them uncompressed', async (enc) => {
    const r = await h.curl(`/ehr/Patient?_count=2&_enc=${enc}`, ['--compressed']);
    expect(r.status).toBe(200);
    expect(r.headers).not.toContain('content-encoding');
    expect(JSON.parse(r.body).entry[0].resource.birthDate).toBe('[DOB]');
    expect(r.body).not.toMatch(ssn);
  });

  it('refuses a content coding it cannot decode', async () => {
    const r = await h.curl('/ehr/Patient?_enc=zstd');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).code).toBe('ERR_HTTP_CONTENT_ENCODING');
  });

  it('masks text bodies with the detectors', async () => {
    const r = await h.curl('/ehr/notes.txt');
    expect(r.body).toBe('Seen patient [MRN], SSN [SSN].\nCall back [PHONE].\n');
  });

  it('masks every identifier in a text line longer than 64K characters', async () => {
    // No blank anywhere: the line used to be cut wherever a chunk ended, often inside an SSN.
    const r = await h.curl('/ehr/long.txt');
    expect(r.body).toBe(`${'[SSN],'.repeat(20_000)}\n`);
    const result = h.audit.find((a) => a.type === 'request.result')!.body as {
      masked: Record<string, number>;
    };
    expect(result.masked).toMatchObject({ SSN: 20_000 });
  });

  it('passes binary types only where the connection allows them', async () => {
    expect((await h.curl('/ehr/report.pdf')).status).toBe(200);
    const png = await h.curl('/ehr/scan.png');
    expect(png.status).toBe(403);
    expect(png.headers).toContain('content-type: application/problem+json');
    expect(png.body).not.toMatch(ssn);
  });

  it('answers 502 for a body that is not valid JSON before any of it was sent', async () => {
    const r = await h.curl('/ehr/broken');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'ERR_HTTP_UPSTREAM' });
    expect(r.body).not.toMatch(ssn);
    expect(h.audit.at(-1)?.body).toMatchObject({ status: 502, error: 'ERR_JSON_STREAM' });
  });

  it('ends a response that stops being valid JSON midway instead of passing it on', async () => {
    const r = await h.curl('/ehr/broken-late');
    expect(r.status).toBe(200);
    expect(r.exitCode).not.toBe(0);
    expect(r.body).not.toMatch(ssn);
    expect(h.audit.at(-1)?.body).toMatchObject({ status: 200, error: 'ERR_JSON_STREAM' });
  });

  it('refuses requests without a token, with a bad token, or without a grant', async () => {
    const none = await h.curl('/ehr/Patient', [], null);
    expect(none.status).toBe(401);
    expect(none.headers).toContain('www-authenticate: bearer');
    expect((await h.curl('/ehr/Patient', [], 'forged')).status).toBe(401);
    const mallory = await h.curl('/ehr/Patient', [], 'mallory-token');
    expect(mallory.status).toBe(403);
    expect(JSON.parse(mallory.body)).toMatchObject({
      code: 'ERR_HTTP_NO_GRANT',
      detail: 'mallory has no grant',
    });
    expect(h.audit.map((a) => a.type)).toEqual(['request.refused', 'request.refused', 'request.refused']);
  });

  it('answers 404 for a path no connection serves, and 400 for encoded slashes', async () => {
    expect((await h.curl('/nowhere/x')).status).toBe(404);
    expect((await h.curl('/ehr/Patient%2f..%2fadmin')).status).toBe(400);
  });

  it('denies by policy with an RFC 9457 problem', async () => {
    const r = await h.curl('/ehr/Patient/1', ['-X', 'DELETE']);
    expect(r.status).toBe(403);
    expect(r.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(r.body)).toMatchObject({
      type: 'urn:warden:error:ERR_POLICY_DENIED',
      status: 403,
      detail: 'denied by Warden policy rule "no-deletes": deletes are not allowed',
    });
    expect(h.upstream.lastHeaders?.['x-never']).toBeUndefined();
  });

  it('holds a request for approval and forwards it once approved, or refuses it', async () => {
    h.approve = (d) => ({ outcome: 'allow', rule: 'rule' in d ? d.rule : 'x' });
    expect((await h.curl('/ehr/Patient/held/1')).status).toBe(200);
    expect(h.audit[0]?.body).toMatchObject({ approvalRule: 'approve-held', decision: { outcome: 'allow' } });
    h.approve = () => ({ outcome: 'deny', rule: 'approve-held', reason: 'timed out' });
    expect((await h.curl('/ehr/Patient/held/1')).status).toBe(403);
  });

  it('refuses everything when the audit log is down, and forwards nothing', async () => {
    h.upstream.lastUrl = undefined;
    h.auditDown = true;
    const r = await h.curl('/ehr/Patient');
    expect(r.status).toBe(503);
    expect(h.upstream.lastUrl).toBeUndefined();
  });

  it('verifies the upstream certificate: an unknown CA is a 502, with no internal detail', async () => {
    const r = await h.curl('/nocafhir/Patient');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).detail).toBe('the upstream could not be reached or answered badly');
  });

  it('records the request body masked', async () => {
    const body = JSON.stringify({ resourceType: 'Patient', note: 'SSN 123-45-6789' });
    const r = await h.curl('/ehr/Patient', [
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '--data',
      body,
    ]);
    expect(r.status).toBe(201);
    expect(h.records[0]?.requestBody).toBe('{"resourceType":"Patient","note":"SSN [SSN]"}');
  });
});
