/**
 * Node's own fetch as a client, in a process of its own: a fresh `node` that trusts the test CA
 * (NODE_EXTRA_CA_CERTS, as a user would set it) and reports what fetch saw. The body is read to
 * its end, so a response cut short shows as `bodyError` (fetch's "terminated").
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface FetchResult {
  /** 0 when fetch itself failed (no response). */
  readonly status: number;
  /** Lower-case names; repeated headers joined as fetch joins them. */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** fetch's own error, when it rejected before a response. */
  readonly error?: string;
  /** Body bytes read (the body itself is kept only up to 1 MB). */
  readonly bytes: number;
  /** The error reading the body failed with (a response cut short), if any. */
  readonly bodyError?: string;
}

const SCRIPT = `
const [url, init] = [process.argv[1], JSON.parse(process.argv[2])];
const [pauseMs, pauseAfter] = [Number(process.argv[3]), Number(process.argv[4])];
(async () => {
  let res;
  try { res = await fetch(url, init); }
  catch (e) { return console.log(JSON.stringify({ status: 0, headers: {}, body: '', error: String(e.cause?.code ?? e.message) })); }
  const headers = Object.fromEntries(res.headers);
  const reader = res.body.getReader();
  const parts = [];
  let bodyError, bytes = 0;
  try {
    for (let paused = false; ; ) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (parts.length < 4096) parts.push(Buffer.from(value));
      // A client that stops reading for a while (its socket fills up), then reads on.
      if (!paused && pauseMs > 0 && bytes >= pauseAfter) {
        paused = true;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
  } catch (e) { bodyError = String(e.cause?.code ?? e.message); }
  const body = bytes > 1e6 ? '' : Buffer.concat(parts).toString('utf8');
  console.log(JSON.stringify({ status: res.status, headers, body, bytes, ...(bodyError ? { bodyError } : {}) }));
})();
`;

export async function nodeFetch(
  url: string,
  o: {
    caFile: string;
    headers?: Record<string, string>;
    method?: string;
    timeoutMs?: number;
    /** Stop reading for this long once `pauseAfterBytes` of the body were read. @default 0 */
    pauseMs?: number;
    /** @default 0: after the first piece */
    pauseAfterBytes?: number;
  },
): Promise<FetchResult> {
  const init = { method: o.method ?? 'GET', headers: o.headers ?? {} };
  const args = [
    '-e',
    SCRIPT,
    url,
    JSON.stringify(init),
    String(o.pauseMs ?? 0),
    String(o.pauseAfterBytes ?? 0),
  ];
  const { stdout } = await run(process.execPath, args, {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: o.caFile },
    timeout: o.timeoutMs ?? 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as FetchResult;
}
