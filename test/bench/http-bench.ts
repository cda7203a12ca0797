/**
 * HTTP data path benchmark (`npm run bench:http`): requests per second and p99 latency of
 * `GET /Patient?_count=20` (a ~13 KB FHIR searchset Bundle with names, birth dates, identifiers,
 * phones and addresses), keep-alive, BENCH_HTTP_CONNECTIONS connections (default 10):
 *
 *   direct       straight to the sandbox FHIR API
 *   passthrough  through Warden to a connection without PHI (no masking: relayed as it comes)
 *   masked       through Warden to a PHI connection with field rules and the detectors
 *
 * Both Warden legs pay for everything the gateway does per request: TLS, token verification,
 * access, policy, the audit attempt (durable before forwarding) and result, and the recording.
 * The gateway runs in a child process of its own, started as the image starts it
 * (`--max-semi-space-size=2`), so its peak RSS is its own; the FHIR API runs on this process's
 * main thread and autocannon in a worker thread. The direct leg is plain HTTP (the sandbox API
 * has no TLS), the Warden legs HTTPS, so the ratios include TLS termination.
 *
 * This machine's cores are shared, so the legs are interleaved: BENCH_HTTP_ROUNDS rounds
 * (default 3) of each leg for BENCH_HTTP_SECONDS (default 5), after a short warm-up. req/s is the
 * mean over rounds, p99 the median of the rounds' p99. The gateway's CPU time per request (all
 * its threads, user and system) is reported too: on shared cores it is steadier than req/s.
 * The last line printed is one JSON object.
 * To profile the gateway: BENCH_PROF=<dir> writes its CPU profile there (node --cpu-prof), and
 * BENCH_HTTP_LEGS=masked (or passthrough) runs only that Warden leg.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { validateConfig } from '../../gateway-image/src/config/load';
import { startSandboxFhirApi } from '../../gateway-image/src/sandbox/fhir-api';
import { startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { writeGatewayFiles } from '../support/gateway-stack';
import { askBenchGateway, forkBenchGateway, runBench, serveBenchGateway } from './gateway-process';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);
const QUERY = '/Patient?_count=20';
const AUDIENCE = 'urn:warden:http-bench';

interface Run {
  readonly rps: number;
  readonly p99: number;
  readonly errors: number;
  /** CPU time of the gateway process per request, in µs (0 for the direct leg). */
  readonly gatewayCpuUs: number;
}

async function load(url: string, token: string, seconds: number, child?: ChildProcess): Promise<Run> {
  const cpuBefore = child ? await askBenchGateway<{ cpuUs: number }>(child, 'cpu') : { cpuUs: 0 };
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    workers: 1,
    headers: { authorization: `Bearer ${token}` },
  });
  const cpuAfter = child ? await askBenchGateway<{ cpuUs: number }>(child, 'cpu') : { cpuUs: 0 };
  return {
    rps: result.requests.total / (result.duration || seconds),
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    gatewayCpuUs: (cpuAfter.cpuUs - cpuBefore.cpuUs) / Math.max(1, result.requests.total),
  };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-http-bench-'));
  const closers: (() => Promise<void>)[] = [];
  let child: ChildProcess | undefined;
  try {
    const [fhir, issuer] = await Promise.all([
      startSandboxFhirApi({ patients: 1000 }),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bench', clientSecret: 'bench-secret', groups: ['agents'] }],
        accessTokenTtlSec: 3600,
      }),
    ]);
    closers.push(
      () => fhir.close(),
      () => issuer.close(),
    );
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-bench',
      altNames: ['IP:127.0.0.1'],
      extra: { 'fhir.token': fhir.token, 'token.key': randomBytes(32).toString('base64') },
    });
    const f = keys.ref;
    const upstream = { url: fhir.url, credential: { type: 'bearer', token: f('fhir.token') } };
    const config = {
      version: 1,
      listeners: { http: { host: '127.0.0.1', port: 0, tls: keys.tls } },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        {
          name: 'fhir',
          kind: 'http',
          phi: true,
          upstream,
          phiFields: {
            '$..name': 'NAME',
            '$..birthDate': 'DOB',
            '$..telecom': 'PHONE',
            '$..address': 'ADDRESS',
          },
        },
        { name: 'fhir-plain', kind: 'http', phi: false, upstream },
      ],
      access: { grants: [{ name: 'bench', connections: ['fhir', 'fhir-plain'], principals: {} }] },
      policy: {
        default: 'deny',
        rules: [{ name: 'reads', decision: 'allow', principals: {}, http: { methods: ['GET'] } }],
      },
      masking: { tokenKey: f('token.key') },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
      recording: { dir: join(dir, 'recordings') },
    };
    validateConfig(config, 'bench');
    const started = await forkBenchGateway(__filename, config, { profileDir: process.env.BENCH_PROF });
    child = started.child;
    const token = await issuer.agentToken('bench');
    const gateway = `https://127.0.0.1:${started.port}`;
    const legs = {
      direct: () => [`${fhir.url}${QUERY}`, fhir.token, undefined] as const,
      passthrough: () => [`${gateway}/fhir-plain${QUERY}`, token, child] as const,
      masked: () => [`${gateway}/fhir${QUERY}`, token, child] as const,
    };
    type Leg = keyof typeof legs;
    const only = process.env.BENCH_HTTP_LEGS?.split(',');
    const names = (Object.keys(legs) as Leg[]).filter((l) => l === 'direct' || !only || only.includes(l));
    const run = (leg: Leg, seconds: number) => {
      const [url, bearer, measured] = legs[leg]();
      return load(url, bearer, seconds, measured);
    };
    for (const leg of names) await run(leg, 1);
    const runs: Record<Leg, Run[]> = { direct: [], passthrough: [], masked: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const leg of names) runs[leg].push(await run(leg, SECONDS));
    }
    const rss = await askBenchGateway<{ maxRssKiB: number }>(child, 'rss');

    const figure = (leg: Leg) => {
      const rs = runs[leg];
      return {
        rps: rs.reduce((s, r) => s + r.rps, 0) / rs.length,
        p99: median(rs.map((r) => r.p99)),
        errors: rs.reduce((s, r) => s + r.errors, 0),
        gatewayCpuUs: median(rs.map((r) => r.gatewayCpuUs)),
      };
    };
    const direct = figure('direct');
    const versus = (leg: Leg) => {
      const w = figure(leg);
      return {
        direct_rps: round1(direct.rps),
        warden_rps: round1(w.rps),
        ratio: round2(w.rps / direct.rps),
        p99_ms: { direct: direct.p99, warden: w.p99, ratio: round2(w.p99 / direct.p99) },
        errors: w.errors,
        gateway_cpu_us_per_request: Math.round(w.gatewayCpuUs),
        rounds_rps: runs[leg].map((r) => round1(r.rps)),
      };
    };
    const result = {
      bench: 'http',
      request: `GET ${QUERY}`,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      seconds_per_round: SECONDS,
      direct_rounds_rps: runs.direct.map((r) => round1(r.rps)),
      ...(names.includes('passthrough') ? { passthrough: versus('passthrough') } : {}),
      ...(names.includes('masked') ? { masked: versus('masked') } : {}),
      rss_mb: Math.round(rss.maxRssKiB / 1024),
    };
    console.log(`GET ${QUERY}, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s per leg`);
    console.log(
      ['leg', 'req/s', 'p99 ms', 'errors', 'req/s ratio', 'p99 ratio', 'gateway CPU µs/req'].join('\t'),
    );
    for (const leg of names) {
      const r = figure(leg);
      const cells = [r.rps.toFixed(0), String(r.p99), String(r.errors), r.gatewayCpuUs.toFixed(0)];
      const ratios = [(r.rps / direct.rps).toFixed(2), (r.p99 / direct.p99).toFixed(2)];
      console.log([leg, ...cells.slice(0, 3), ...ratios, cells[3]].join('\t'));
    }
    console.log(`gateway peak RSS ${result.rss_mb} MB`);
    if (names.some((leg) => figure(leg).errors > 0)) process.exitCode = 1;
    console.log(JSON.stringify(result));
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child!.once('exit', resolve));
    for (const close of closers) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main, () => serveBenchGateway('http', { admin: false }));
