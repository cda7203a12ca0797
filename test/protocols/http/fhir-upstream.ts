/**
 * A real HTTPS upstream serving FHIR-like JSON with synthetic PHI, for the HTTP gateway tests and
 * the benchmark. It records the headers each request arrived with so tests can check what the
 * gateway injected and stripped.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';

export function patient(i: number): object {
  const n = String(i % 10_000).padStart(4, '0');
  return {
    resourceType: 'Patient',
    id: `p${i}`,
    identifier: [
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: `123-45-${n}` },
      { system: 'urn:mrn', value: `MRN1000${n}` },
    ],
    name: [{ family: `Family${i}`, given: [`Given${i}`] }],
    birthDate: '1970-03-14',
    telecom: [{ system: 'phone', value: '555-867-5309' }],
    text: { div: `Patient with SSN 123-45-${n} seen today.` },
    active: true,
  };
}

export function bundle(count: number): object {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: count,
    entry: Array.from({ length: count }, (_, i) => ({ fullUrl: `Patient/p${i}`, resource: patient(i) })),
  };
}

export interface FhirUpstream {
  readonly port: number;
  /** Headers of the most recent request. */
  lastHeaders: IncomingHttpHeaders | undefined;
  lastUrl: string | undefined;
  /** Bytes `/fhir/big` has handed to its socket so far (all responses together). */
  bigBodyBytes: number;
  close(): Promise<void>;
}

/** Streams `{"resourceType":"Bundle","entry":[…count patients…]}` without building it in memory. */
function streamBundle(res: ServerResponse, count: number, sent: (bytes: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/fhir+json' });
  let i = 0;
  const head = '{"resourceType":"Bundle","type":"searchset","entry":[';
  res.write(head);
  const pump = () => {
    while (i < count) {
      const piece = `${i === 0 ? '' : ','}${JSON.stringify({ resource: patient(i) })}`;
      i++;
      sent(piece.length);
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end(']}');
  };
  pump();
}

export async function startFhirUpstream(
  tls: { cert: string; key: string },
  expectToken: string,
): Promise<FhirUpstream> {
  const state: FhirUpstream = {
    port: 0,
    lastHeaders: undefined,
    lastUrl: undefined,
    bigBodyBytes: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    state.lastHeaders = req.headers;
    state.lastUrl = req.url;
    if (req.headers.authorization !== `Bearer ${expectToken}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end('{"error":"upstream credential missing"}');
    }
    const url = new URL(req.url ?? '/', 'https://upstream.invalid');
    const json = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', ...extra });
      res.end(JSON.stringify(body));
    };
    const p = url.pathname;
    if (p === '/fhir/Patient' && req.method === 'GET') {
      const body = JSON.stringify(bundle(Number(url.searchParams.get('_count') ?? 3)));
      const enc = url.searchParams.get('_enc');
      if (enc === 'gzip' || enc === 'br') {
        res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-encoding': enc });
        return void res.end(enc === 'gzip' ? gzipSync(body) : brotliCompressSync(body));
      }
      if (enc === 'zstd') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' });
        return void res.end(Buffer.alloc(16));
      }
      return json(200, JSON.parse(body));
    }
    if (p.startsWith('/fhir/Patient/') && req.method === 'GET') return json(200, patient(7));
    if (p === '/fhir/Patient' && req.method === 'POST') {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => json(201, { received: Buffer.concat(parts).length }));
      return;
    }
    if (p === '/fhir/big') {
      return streamBundle(res, Number(url.searchParams.get('count') ?? 1000), (n) => {
        state.bigBodyBytes += n;
      });
    }
    if (p === '/fhir/notes.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('Seen patient MRN10001234, SSN 123-45-6789.\nCall back 555-867-5309.\n');
    }
    if (p === '/fhir/long.txt') {
      // One line of 240 000 characters, SSNs back to back, written in uneven pieces.
      const line = Buffer.from(`${'123-45-6789,'.repeat(20_000)}\n`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let at = 0; at < line.length; at += 10_007) res.write(line.subarray(at, at + 10_007));
      return void res.end();
    }
    if (p === '/fhir/scan.png' || p === '/fhir/report.pdf') {
      res.writeHead(200, { 'content-type': p.endsWith('png') ? 'image/png' : 'application/pdf' });
      return void res.end(Buffer.from('%PDF-1.7 binary 123-45-6789'));
    }
    if (p === '/fhir/located') {
      // Headers that name a patient, on a JSON body and on a PDF.
      const pdf = url.searchParams.has('pdf');
      res.writeHead(pdf ? 200 : 201, {
        'content-type': pdf ? 'application/pdf' : 'application/fhir+json',
        location: 'https://upstream.test/fhir/Patient/123-45-6789/_history/1',
        'content-location': '/fhir/Patient?identifier=MRN10001234',
        link: '<https://upstream.test/fhir/Patient?ssn=123-45-6789&page=2>; rel="next"',
        'content-disposition': 'attachment; filename="MRN10001234 123-45-6789.pdf"',
        'x-request-id': 'req-7',
      });
      return void res.end(pdf ? '%PDF-1.7' : '{"resourceType":"Patient","id":"p1"}');
    }
    if (p === '/fhir/stall') {
      // Part of a document, then nothing: the socket stays open and silent.
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.write('{"resourceType":"Bundle","entry":[');
      return;
    }
    if (p === '/fhir/stall-before-body') {
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.flushHeaders();
      return;
    }
    if (p === '/fhir/trickle') {
      // A body that keeps coming, a piece every 150 ms for about 1.5 s.
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.write('{"entry":[0');
      let n = 0;
      const timer = setInterval(() => {
        if (++n < 10) return void res.write(`,${n}`);
        clearInterval(timer);
        res.end(']}');
      }, 150);
      return;
    }
    if (p === '/fhir/broken-late') {
      // Valid JSON first, sent on its own, then bytes that are not JSON.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"entry":[{"ok":"fine"},');
      return void setTimeout(() => res.end('{"leak": 123-45-6789}]}'), 100);
    }
    if (p === '/fhir/broken') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"ok":"fine","leak": 123-45-6789}');
    }
    json(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  };
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return Object.assign(state, { port: (server.address() as AddressInfo).port });
}
