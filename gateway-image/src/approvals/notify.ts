/**
 * Tells reviewers a request is waiting: a generic webhook (JSON, HMAC-SHA256 signature header in
 * the style of Stripe's, so a receiver can check authenticity and freshness) and a Slack-compatible
 * incoming-webhook message with a link to the console. Delivery is best effort with exponential
 * backoff; a notification that finally fails is reported (and audited by the caller), and never
 * affects the request, which stays pending in the store and visible in the console.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WardenError } from '../errors';
import type { ApprovalRecord } from './model';

export type NotificationTarget =
  | { readonly kind: 'webhook'; readonly url: string; readonly secret: string }
  | { readonly kind: 'slack'; readonly url: string };

export type NotificationEvent = 'approval.requested' | 'approval.decided';

export const SIGNATURE_HEADER = 'x-warden-signature';

export interface NotifierOptions {
  readonly targets: readonly NotificationTarget[];
  /** Base URL of the reviewer console, for links. @default no links */
  readonly consoleUrl?: string;
  /** Attempts per notification. @default 4 */
  readonly attempts?: number;
  /** First retry delay; doubles each time. @default 500 */
  readonly backoffMs?: number;
  /** Per-attempt timeout. @default 5000 */
  readonly timeoutMs?: number;
  /** Called once a notification has failed every attempt. */
  readonly onFailure?: (failure: {
    target: string;
    event: NotificationEvent;
    approval: string;
    error: string;
  }) => void;
}

export interface Notifier {
  notify(event: NotificationEvent, record: ApprovalRecord): void;
  /** Waits for deliveries in flight (retries included). */
  close(): Promise<void>;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const attempts = opts.attempts ?? 4;
  const backoffMs = opts.backoffMs ?? 500;
  const timeoutMs = opts.timeoutMs ?? 5000;
  // The URL's path of a Slack webhook is its secret: failures name the host only, and a URL that
  // does not parse (a Slack URL comes from a secret) is refused here, without echoing it.
  const labels = new Map(opts.targets.map((t) => [t, `${t.kind} ${targetHost(t)}`]));
  const inflight = new Set<Promise<void>>();
  return {
    notify(event, record) {
      for (const target of opts.targets) {
        const p = deliver(target, event, record).finally(() => inflight.delete(p));
        inflight.add(p);
      }
    },
    async close() {
      await Promise.allSettled([...inflight]);
    },
  };

  async function deliver(target: NotificationTarget, event: NotificationEvent, record: ApprovalRecord) {
    const link = opts.consoleUrl ? consoleLink(opts.consoleUrl, record.id) : undefined;
    const body = JSON.stringify(
      target.kind === 'webhook' ? webhookPayload(event, record, link) : slackPayload(event, record, link),
    );
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (target.kind === 'webhook') headers[SIGNATURE_HEADER] = signWebhook(target.secret, body);
        const res = await fetch(target.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        error = `HTTP ${res.status}`;
        // A 4xx other than 408/429 will not get better by retrying.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (err) {
        error = err instanceof Error ? err.name : 'network error';
      }
      if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
    }
    opts.onFailure?.({
      target: labels.get(target)!,
      event,
      approval: record.id,
      error,
    });
  }
}

function targetHost(t: NotificationTarget): string {
  let url: URL | undefined;
  try {
    url = new URL(t.url);
  } catch {
    // not shown: the URL may be the secret itself
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new WardenError('ERR_NOTIFY_CONFIG', `a ${t.kind} notification target is not an http(s) URL`);
  }
  return url.host;
}

export function consoleLink(consoleUrl: string, id: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/console/#/approvals/${encodeURIComponent(id)}`;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signWebhook(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** For receivers (and tests): checks the signature and that it is at most `toleranceSec` old. */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  toleranceSec = 300,
  now = Date.now(),
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(now / 1000 - t) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

function webhookPayload(event: NotificationEvent, r: ApprovalRecord, link: string | undefined) {
  return {
    event,
    approval: {
      id: r.id,
      kind: r.kind,
      status: r.status,
      requester: r.requester,
      connection: r.connection,
      rule: r.rule,
      ruleReason: r.ruleReason,
      ...(r.command === undefined ? {} : { command: r.command }),
      ...(r.reason === undefined ? {} : { reason: r.reason }),
      ...(r.durationMs === undefined ? {} : { durationMs: r.durationMs }),
      approverGroups: r.approverGroups,
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
    },
    ...(link ? { url: link } : {}),
  };
}

function slackPayload(event: NotificationEvent, r: ApprovalRecord, link: string | undefined) {
  const who = `${r.requester.kind} ${r.requester.subject}`;
  const what =
    r.kind === 'access'
      ? `access to *${r.connection}* for ${Math.round((r.durationMs ?? 0) / 60_000)} min`
      : `a statement on *${r.connection}* (rule ${r.rule})`;
  const head =
    event === 'approval.requested'
      ? `Warden: ${who} asks for ${what}`
      : `Warden: request ${r.id} was ${r.status}`;
  const lines = [head];
  if (r.reason) lines.push(`Reason: ${r.reason}`);
  if (r.command) lines.push(`\`\`\`${r.command.slice(0, 1500)}\`\`\``);
  if (link) lines.push(`<${link}|Review in the Warden console>`);
  return { text: lines.join('\n') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref?.());
