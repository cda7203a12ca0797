/**
 * The soak's clients. Postgres sessions that open, run a few operations and close, over and over:
 * pgbench-like transactions and reads on `scratch` (simple, extended and prepared protocol), masked
 * reads on `patients` as an agent, and now and then a write to PHI the policy holds for approval,
 * released by a scripted approver polling the admin API. SSH exec loops on the lab host, HTTP
 * requests to the FHIR API at a steady rate. Every statement, exec and request is counted on the
 * client side before it is sent, so the audit log can be checked against it afterwards.
 */
import { Agent, request as httpsRequest } from 'node:https';
import { Client } from 'pg';
import { Client as SshClient } from 'ssh2';
import type { SoakMetrics } from './metrics';
import {
  SCRATCH_ACCOUNTS_PER_BRANCH,
  SCRATCH_BRANCHES,
  SCRATCH_TELLERS_PER_BRANCH,
  type SoakStack,
} from './stack';

export interface LoadShape {
  readonly pgSessions: number;
  readonly sshLoops: number;
  readonly httpPerSecond: number;
  /** Mean pause between a Postgres session's operations, ms. */
  readonly pgThinkMs: number;
  /** Mean pause between an SSH loop's execs, ms. */
  readonly sshThinkMs: number;
  /** Patients in the sandbox (ids 1..patients). */
  readonly patients: number;
}

/** What one Postgres session sent. */
export interface SessionStatements {
  sent: number;
  /**
   * Statements that went as a Query or a Parse: each has an attempt of its own. The others are
   * executions of a statement the session prepared before, which ride on its Parse's attempt.
   */
  parsed: number;
}

/** What the clients sent, for the audit check. */
export interface ClientLedger {
  /** Per Postgres session, by its application_name. */
  readonly statements: Map<string, SessionStatements>;
  sshExecs: number;
  httpRequests: number;
}

export interface RunningLoad {
  readonly ledger: ClientLedger;
  /** Asks every client to finish what it is doing and resolves once all have. */
  stop(): Promise<void>;
}

const SSN = /\b\d{3}-\d{2}-\d{4}\b/;
const FHIR_PATIENTS = 1000;

export function startLoad(stack: SoakStack, shape: LoadShape, metrics: SoakMetrics): RunningLoad {
  const ledger: ClientLedger = { statements: new Map(), sshExecs: 0, httpRequests: 0 };
  const tokens = new Tokens(stack);
  let stopping = false;
  const running: Promise<void>[] = [];

  for (let slot = 0; slot < shape.pgSessions; slot++) {
    running.push(pgSlot(slot, { stack, shape, metrics, ledger, tokens, stopping: () => stopping }));
  }
  for (let loop = 0; loop < shape.sshLoops; loop++) {
    running.push(sshLoop({ stack, shape, metrics, ledger, tokens, stopping: () => stopping }));
  }
  const http = httpClients({ stack, shape, metrics, ledger, tokens, stopping: () => stopping });
  let approving = true;
  const approver = approverLoop(stack, tokens, metrics, () => approving);

  return {
    ledger,
    async stop() {
      stopping = true;
      await Promise.all([...running, http]);
      approving = false;
      await approver;
      tokens.stop();
    },
  };
}

interface LoadContext {
  readonly stack: SoakStack;
  readonly shape: LoadShape;
  readonly metrics: SoakMetrics;
  readonly ledger: ClientLedger;
  readonly tokens: Tokens;
  stopping(): boolean;
}

/** OIDC access tokens, fetched again every five minutes (they last an hour). */
class Tokens {
  agent = '';
  approver = '';
  private readonly timer: NodeJS.Timeout;
  readonly ready: Promise<void>;

  constructor(private readonly stack: SoakStack) {
    this.ready = this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), 5 * 60_000);
  }

  private async refresh(): Promise<void> {
    [this.agent, this.approver] = await Promise.all([this.stack.agentToken(), this.stack.approverToken()]);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

type SessionKind = 'tpcb' | 'select' | 'masked' | 'held';

/** Six in ten sessions on scratch (half transactions, half reads), three masked reads, one with a held write. */
function sessionKind(slot: number): SessionKind {
  const k = slot % 10;
  if (k < 3) return 'tpcb';
  if (k < 6) return 'select';
  if (k < 9) return 'masked';
  return 'held';
}

type Protocol = 'simple' | 'extended' | 'prepared';

async function pgSlot(slot: number, ctx: LoadContext): Promise<void> {
  await ctx.tokens.ready;
  const kind = sessionKind(slot);
  const protocol: Protocol = (['simple', 'extended', 'prepared'] as const)[Math.floor(slot / 10) % 3]!;
  // Spread the first connections over a few seconds rather than 300 at once.
  await sleep(Math.random() * 5000);
  for (let n = 0; !ctx.stopping(); n++) {
    const app = `soak-${slot}-${n}`;
    const client = new Client({
      host: ctx.stack.postgres.host,
      port: ctx.stack.postgres.port,
      database: kind === 'tpcb' || kind === 'select' ? 'scratch' : 'patients',
      user: 'soak',
      password: ctx.tokens.agent,
      application_name: app,
      ssl: { rejectUnauthorized: false },
      connectionTimeoutMillis: 30_000,
    });
    let failure: string | undefined;
    client.on('error', (err: Error & { code?: string }) => {
      failure ??= `pg-session:${err.code ?? err.message.slice(0, 60)}`;
    });
    try {
      await client.connect();
    } catch (err) {
      ctx.metrics.error(`pg-connect:${errorCode(err)}`);
      await client.end().catch(() => undefined);
      await sleep(1000);
      continue;
    }
    ctx.metrics.sessionOpened();
    const session = new PgSession(client, app, protocol, ctx);
    const operations = 3 + Math.floor(Math.random() * 8);
    try {
      for (let op = 0; op < operations && !ctx.stopping() && !failure; op++) {
        await sleep(ctx.shape.pgThinkMs * (0.5 + Math.random()));
        if (kind === 'tpcb') await session.tpcb();
        else if (kind === 'select') await session.selectAccount();
        else if (kind === 'masked' || op !== 1) await session.maskedRead();
        else await session.heldWrite();
      }
    } catch (err) {
      ctx.metrics.error(`pg:${errorCode(err)}`);
    }
    if (failure) ctx.metrics.error(failure);
    await client.end().catch(() => ctx.metrics.error('pg-end'));
  }
}

class PgSession {
  /** Names of the statements prepared on this connection (node-postgres parses each name once). */
  private readonly prepared = new Set<string>();
  private readonly sent: SessionStatements = { sent: 0, parsed: 0 };

  constructor(
    private readonly client: Client,
    app: string,
    private readonly protocol: Protocol,
    private readonly ctx: LoadContext,
  ) {
    ctx.ledger.statements.set(app, this.sent);
  }

  /** One statement, counted before it is sent, timed unless it waits for an approver. */
  private async statement(name: string, text: string, values: unknown[] = [], held = false) {
    const { metrics } = this.ctx;
    this.sent.sent++;
    const reexecution = this.protocol === 'prepared' && this.prepared.has(name);
    if (!reexecution) this.sent.parsed++;
    if (this.protocol === 'prepared') this.prepared.add(name);
    const started = performance.now();
    const result =
      values.length === 0 && this.protocol === 'simple'
        ? await this.client.query(text)
        : this.protocol === 'simple'
          ? await this.client.query(inline(text, values))
          : this.protocol === 'prepared'
            ? await this.client.query({ name, text, values })
            : await this.client.query(text, values);
    if (held) metrics.held();
    else metrics.done('pg', performance.now() - started);
    return result;
  }

  async tpcb(): Promise<void> {
    const aid = 1 + Math.floor(Math.random() * SCRATCH_BRANCHES * SCRATCH_ACCOUNTS_PER_BRANCH);
    const bid = 1 + Math.floor(Math.random() * SCRATCH_BRANCHES);
    const tid = 1 + Math.floor(Math.random() * SCRATCH_BRANCHES * SCRATCH_TELLERS_PER_BRANCH);
    const delta = Math.floor(Math.random() * 10_001) - 5000;
    await this.statement('begin', 'BEGIN');
    try {
      await this.statement('upd-acc', 'UPDATE soak_accounts SET abalance = abalance + $1 WHERE aid = $2', [
        delta,
        aid,
      ]);
      await this.statement('sel-acc', 'SELECT abalance FROM soak_accounts WHERE aid = $1', [aid]);
      await this.statement('upd-tel', 'UPDATE soak_tellers SET tbalance = tbalance + $1 WHERE tid = $2', [
        delta,
        tid,
      ]);
      await this.statement('upd-br', 'UPDATE soak_branches SET bbalance = bbalance + $1 WHERE bid = $2', [
        delta,
        bid,
      ]);
      await this.statement(
        'ins-hist',
        'INSERT INTO soak_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
        [tid, bid, aid, delta],
      );
      await this.statement('commit', 'COMMIT');
    } catch (err) {
      await this.statement('rollback', 'ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async selectAccount(): Promise<void> {
    const aid = 1 + Math.floor(Math.random() * SCRATCH_BRANCHES * SCRATCH_ACCOUNTS_PER_BRANCH);
    const { rows } = await this.statement('sel-acc', 'SELECT abalance FROM soak_accounts WHERE aid = $1', [
      aid,
    ]);
    if (rows.length !== 1) this.ctx.metrics.error('pg-result:account-missing');
  }

  /** An agent reads patients: SSNs come back masked, never whole. */
  async maskedRead(): Promise<void> {
    const id = 1 + Math.floor(Math.random() * this.ctx.shape.patients);
    const { rows } =
      Math.random() < 0.5
        ? await this.statement(
            'sel-pat',
            'SELECT id, first_name, last_name, ssn, date_of_birth, mrn FROM patients WHERE id = $1',
            [id],
          )
        : await this.statement(
            'list-pat',
            'SELECT id, last_name, ssn, city FROM patients ORDER BY id LIMIT 10 OFFSET $1',
            [Math.max(0, id - 10)],
          );
    if (rows.length === 0) this.ctx.metrics.error('pg-result:no-patients');
    for (const row of rows) if (SSN.test(String(row.ssn))) this.ctx.metrics.error('pg-result:ssn-unmasked');
  }

  /** A write to PHI by an agent: held until the scripted approver approves it, then run. */
  async heldWrite(): Promise<void> {
    const id = 1 + Math.floor(Math.random() * this.ctx.shape.patients);
    await this.statement('upd-pat', "UPDATE patients SET phone = '555-0100' WHERE id = $1", [id], true);
  }
}

/** The simple protocol has no parameters: values written into the text (integers only here). */
function inline(text: string, values: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, i: string) => String(Number(values[Number(i) - 1])));
}

const SSH_COMMANDS = [
  'head -5 exports/patients.csv',
  'ls exports',
  'wc -l exports/patients.csv',
  'cat README.txt',
];

async function sshLoop(ctx: LoadContext): Promise<void> {
  await ctx.tokens.ready;
  await sleep(Math.random() * 5000);
  while (!ctx.stopping()) {
    const client = new SshClient();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve).once('error', reject);
        client.connect({
          host: ctx.stack.ssh.host,
          port: ctx.stack.ssh.port,
          username: ctx.stack.sshConnection,
          password: ctx.tokens.agent,
          readyTimeout: 30_000,
          hostVerifier: () => true,
        });
      });
    } catch (err) {
      ctx.metrics.error(`ssh-connect:${errorCode(err)}`);
      client.end();
      await sleep(1000);
      continue;
    }
    client.on('error', () => ctx.metrics.error('ssh-session'));
    ctx.metrics.sessionOpened();
    const execs = 2 + Math.floor(Math.random() * 4);
    for (let i = 0; i < execs && !ctx.stopping(); i++) {
      await sleep(ctx.shape.sshThinkMs * (0.5 + Math.random()));
      const command = SSH_COMMANDS[Math.floor(Math.random() * SSH_COMMANDS.length)]!;
      ctx.ledger.sshExecs++;
      const started = performance.now();
      try {
        const { code, out } = await exec(client, command);
        if (code !== 0) ctx.metrics.error(`ssh-exit:${code}`);
        else if (SSN.test(out)) ctx.metrics.error('ssh-result:ssn-unmasked');
        else ctx.metrics.done('ssh', performance.now() - started);
      } catch (err) {
        ctx.metrics.error(`ssh-exec:${errorCode(err)}`);
        break;
      }
    }
    client.end();
  }
}

function exec(client: SshClient, command: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      stream.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      stream.stderr.resume();
      stream.once('close', (code: number | null) => resolve({ code, out }));
    });
  });
}

/** Requests at a steady rate, half on kept-alive connections, half on a connection each. */
async function httpClients(ctx: LoadContext): Promise<void> {
  await ctx.tokens.ready;
  const keepAlive = new Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: 8 });
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  while (!ctx.stopping()) {
    const p = httpRequest(ctx, n++ % 2 === 0 ? keepAlive : undefined).finally(() => inFlight.delete(p));
    inFlight.add(p);
    await sleep(1000 / ctx.shape.httpPerSecond);
  }
  await Promise.all(inFlight);
  keepAlive.destroy();
}

function httpRequest(ctx: LoadContext, agent: Agent | undefined): Promise<void> {
  const path = `/${ctx.stack.httpConnection}/Patient?_count=5&_offset=${Math.floor(Math.random() * (FHIR_PATIENTS - 5))}`;
  ctx.ledger.httpRequests++;
  const started = performance.now();
  return httpGet(ctx, agent, path).then(
    (outcome) => {
      if (outcome === 'ok') ctx.metrics.done('http', performance.now() - started);
      else ctx.metrics.error(outcome);
    },
    // What every HTTP client does (RFC 9112 § 9.3.1): a GET on a kept-alive connection the
    // server closed as it was reused goes again on a new connection. The gateway never saw it.
    async (err: Error & { code?: string; reusedSocket?: boolean }) => {
      if (!(err.reusedSocket && err.code === 'ECONNRESET'))
        return ctx.metrics.error(`http-request:${errorCode(err)}`);
      ctx.metrics.retried++;
      const outcome = await httpGet(ctx, undefined, path).catch(
        (e: unknown) => `http-request:${errorCode(e)}`,
      );
      if (outcome === 'ok') ctx.metrics.done('http', performance.now() - started);
      else ctx.metrics.error(outcome);
    },
  );
}

/** One GET: 'ok', or the kind of error of a bad answer; rejects when the request fails. */
function httpGet(ctx: LoadContext, agent: Agent | undefined, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: ctx.stack.http.host,
        port: ctx.stack.http.port,
        path,
        headers: { authorization: `Bearer ${ctx.tokens.agent}` },
        ...(agent ? { agent } : { agent: false, rejectUnauthorized: false }),
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.once('end', () => {
          if (res.statusCode !== 200) resolve(`http:${res.statusCode}`);
          else resolve(body.includes('"Bundle"') ? 'ok' : 'http-result:not-a-bundle');
        });
        res.once('error', () => resolve('http-response'));
      },
    );
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.once('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.end();
  });
}

/** Approves every pending hold it can see, a few times a second. */
async function approverLoop(
  stack: SoakStack,
  tokens: Tokens,
  metrics: SoakMetrics,
  running: () => boolean,
): Promise<void> {
  await tokens.ready;
  while (running()) {
    try {
      const res = await fetch(`${stack.adminUrl}/v1/approvals?status=pending`, {
        headers: { authorization: `Bearer ${tokens.approver}` },
      });
      if (res.status !== 200) metrics.error(`approver-list:${res.status}`);
      else {
        const { approvals } = (await res.json()) as { approvals: { id: string }[] };
        for (const { id } of approvals) {
          const decided = await fetch(`${stack.adminUrl}/v1/approvals/${id}/decision`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens.approver}`, 'content-type': 'application/json' },
            body: JSON.stringify({ verdict: 'approve', justification: 'soak: scripted approver' }),
          });
          // 409: decided meanwhile (another poll, or it timed out); anything else is an error.
          if (decided.status !== 200 && decided.status !== 409)
            metrics.error(`approver-decide:${decided.status}`);
          await decided.body?.cancel();
        }
      }
    } catch (err) {
      metrics.error(`approver:${errorCode(err)}`);
    }
    await sleep(250);
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? (e.message ?? String(err)).slice(0, 60);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
