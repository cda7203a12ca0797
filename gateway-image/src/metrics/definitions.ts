/**
 * Every metric a gateway process keeps, on one prom-client registry per process. Label values
 * come from the config (connection and rule names), from code (protocols, decisions, reasons) or
 * from the masking entities; `labels.ts` maps anything else to "other", so no label can carry a
 * subject, PHI, SQL text or a token. Each metric says how the primary adds up its workers'
 * figures (`aggregator`): counters and histograms sum, ages take the maximum.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram';

/**
 * 10 µs … 1 s, fine below a millisecond: a prepared execution costs tens of microseconds, a
 * statement whose attempt waits for an fsync a millisecond or more. The median operators compare
 * with the pg bench falls in the fine part.
 */
const GATEWAY_LATENCY_BUCKETS = [
  0.00001, 0.00002, 0.00003, 0.00004, 0.00005, 0.00006, 0.00007, 0.00008, 0.00009, 0.0001, 0.00012, 0.00014,
  0.00016, 0.00018, 0.0002, 0.00025, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25,
  1,
];
/** An fsync is 0.1–20 ms on most disks; above a second the log is close to failing. */
const AUDIT_LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const CONNECT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10];
const HOLD_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export type GatewayMetrics = ReturnType<typeof defineGatewayMetrics>;

export function defineGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sessionsOpened: new Counter({
      name: 'warden_sessions_opened_total',
      help: 'Sessions that passed login (Postgres, SSH) and HTTP requests that reached a connection.',
      labelNames: ['protocol', 'connection', 'principal_kind'] as const,
      registers,
    }),
    sessionsOpen: new Gauge({
      name: 'warden_sessions_open',
      help: 'Postgres and SSH sessions open now.',
      labelNames: ['protocol', 'connection', 'principal_kind'] as const,
      registers,
    }),
    sessionsRefused: new Counter({
      name: 'warden_sessions_refused_total',
      help: 'Logins and requests refused before a session started, by reason (bad-token, no-grant, …).',
      labelNames: ['protocol', 'reason'] as const,
      registers,
    }),
    statements: new Counter({
      name: 'warden_statements_total',
      help: 'Statements (Query, Parse), SSH commands and HTTP requests judged, by decision (allow, deny, held, refused) and rule.',
      labelNames: ['protocol', 'connection', 'decision', 'rule'] as const,
      registers,
    }),
    holdsPending: new Gauge({
      name: 'warden_approval_holds_pending',
      help: 'Commands waiting for an approver now (the approval queue of this gateway).',
      labelNames: ['protocol'] as const,
      registers,
    }),
    oldestHold: new Gauge({
      name: 'warden_approval_oldest_hold_seconds',
      help: 'Age of the longest-waiting held command; 0 when none waits.',
      aggregator: 'max',
      registers,
    }),
    holdDuration: new Histogram({
      name: 'warden_approval_hold_seconds',
      help: 'How long held commands waited, by outcome (approved, denied, expired).',
      labelNames: ['protocol', 'outcome'] as const,
      buckets: HOLD_BUCKETS,
      registers,
    }),
    auditAppend: new Histogram({
      name: 'warden_audit_append_seconds',
      help: 'From an append something waits on (an attempt) to its fsync.',
      buckets: AUDIT_LATENCY_BUCKETS,
      registers,
    }),
    auditBatch: new Histogram({
      name: 'warden_audit_fsync_batch_events',
      help: 'Events written per write+fsync (group commit).',
      buckets: BATCH_BUCKETS,
      registers,
    }),
    auditAppendFailures: new Counter({
      name: 'warden_audit_append_failures_total',
      help: 'Audit appends refused because the log could not write or fsync; each refused a command or session.',
      registers,
    }),
    auditLogFailed: new Gauge({
      name: 'warden_audit_log_failed',
      help: 'Processes whose audit log failed and refuses every append until the process restarts.',
      registers,
    }),
    auditUnsealed: new Gauge({
      name: 'warden_audit_unsealed_bytes',
      help: 'Bytes in the segments being written, not yet sealed and copied to write-once storage.',
      registers,
    }),
    checkpointAge: new Gauge({
      name: 'warden_audit_checkpoint_age_seconds',
      help: 'Time since the last signed checkpoint was durable (every 10 s by default).',
      aggregator: 'max',
      registers,
    }),
    uploadBacklog: new Gauge({
      name: 'warden_audit_upload_backlog',
      help: 'Sealed segments and session recordings whose copy to write-once storage has not succeeded (in flight or failed).',
      registers,
    }),
    uploadFailures: new Counter({
      name: 'warden_audit_upload_failures_total',
      help: 'Failed copies of sealed segments and session recordings to write-once storage.',
      labelNames: ['sink'] as const,
      registers,
    }),
    masked: new Counter({
      name: 'warden_masked_values_total',
      help: 'Values masked in responses, by entity and strategy (raw: shown unmasked to a profile allowed to see it).',
      labelNames: ['protocol', 'connection', 'entity', 'strategy'] as const,
      registers,
    }),
    upstreamConnect: new Histogram({
      name: 'warden_upstream_connect_seconds',
      help: 'Upstream logins (TCP, TLS, authentication) at session start.',
      labelNames: ['protocol', 'connection'] as const,
      buckets: CONNECT_BUCKETS,
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'warden_upstream_errors_total',
      help: 'Upstreams that could not be reached or logged into, or failed mid-request.',
      labelNames: ['protocol', 'connection'] as const,
      registers,
    }),
    // On the data path: a histogram whose observe costs tens of nanoseconds (fast-histogram.ts).
    gatewayAdded: new FastHistogram({
      name: 'warden_gateway_added_seconds',
      help: 'Per Postgres round trip (a statement and its result): time spent in the gateway, the upstream excluded; approval waits are not counted.',
      buckets: GATEWAY_LATENCY_BUCKETS,
      registers,
    }),
  };
}

/** Metrics only the primary (or a single process) keeps: about the processes and the admin API. */
export function definePrimaryMetrics(registry: Registry) {
  const registers = [registry];
  return {
    ready: new Gauge({
      name: 'warden_ready',
      help: '1 when /readyz last found the gateway ready (audit writable, approvals store reachable, secrets resolvable).',
      registers,
    }),
    workerRestarts: new Counter({
      name: 'warden_worker_restarts_total',
      help: 'Worker processes that exited and were started again.',
      registers,
    }),
    workersReporting: new Gauge({
      name: 'warden_workers_reporting',
      help: 'Worker processes whose figures are in this scrape.',
      registers,
    }),
  };
}
