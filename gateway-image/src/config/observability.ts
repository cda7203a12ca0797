import { isIP } from 'node:net';
import { z } from 'zod';
import { secretRef } from './secret-ref';

/** An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`). */
const cidr = z.string().refine((value) => {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  const n = Number(bits);
  return rest.length === 0 && family !== 0 && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}, 'expected a network in CIDR notation, e.g. 10.0.0.0/8 or ::1/128');

export const observability = z
  .strictObject({
    metrics: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Serve Prometheus metrics at /metrics on the admin listener. Default true.'),
        allowFrom: z
          .array(cidr)
          .default(['127.0.0.1/32', '::1/128'])
          .describe(
            'Networks that may scrape /metrics without a token. Default loopback only (a sidecar agent in the same task or VM).',
          ),
        bearerToken: secretRef
          .optional()
          .describe(
            'A scraper outside allowFrom must send Authorization: Bearer <this secret>. Default none: only allowFrom may scrape.',
          ),
        workerReportIntervalMs: z
          .number()
          .int()
          .min(100)
          .max(60_000)
          .default(5_000)
          .describe(
            'How often each worker process sends its figures to the primary, which adds them up for /metrics. Default 5 s.',
          ),
      })
      .prefault({})
      .describe('Prometheus metrics (OpenMetrics text). Labels never carry PHI, SQL text or tokens.'),
    tracing: z
      .strictObject({
        otlpEndpoint: z
          .url()
          .describe('OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces (JSON encoding).'),
        headers: z
          .record(z.string().min(1), secretRef)
          .default({})
          .describe('Headers sent with each export, each value a secret reference (an API key).'),
        serviceName: z.string().min(1).default('warden-gateway').describe('Default "warden-gateway".'),
        sampleRatio: z
          .number()
          .min(0)
          .max(1)
          .default(1)
          .describe('Share of statements, commands and requests traced. Default 1.'),
      })
      .optional()
      .describe(
        'OpenTelemetry traces: a span per statement, command or request with its stages as child spans. Off unless set.',
      ),
    readiness: z
      .strictObject({
        secretsCheckIntervalMs: z
          .number()
          .int()
          .min(1_000)
          .default(60_000)
          .describe(
            "How long /readyz reuses its last check that every connection's secrets resolve (cloud secret stores are not asked on every probe). Default 60 s.",
          ),
      })
      .prefault({}),
  })
  .describe('Metrics, traces and health checks for operators (README: Operating Warden).');
