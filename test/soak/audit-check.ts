/**
 * After the run: `warden audit verify` over the whole audit directory (every chain, the gateway
 * stopped), and the log read back line by line to find each client-side statement's attempt.
 * Postgres, per session (matched by application_name): one `query.attempt` for each statement sent
 * as a Query or a Parse, and every statement — re-executions of a prepared one included, which
 * ride on their Parse's attempt — counted in the session's `query.result` events (repeated
 * executions are folded into one event with `executions`). SSH execs and HTTP requests in total.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { listChains } from '../../gateway-image/src/audit/chains';
import type { ClientLedger, SessionStatements } from './load';
import { WARDEN_BIN } from './stack';

export interface AuditFindings {
  readonly verify: 'ok' | 'failed';
  readonly verifyOutput: string;
  /** Client-side Postgres statements whose attempt and execution are in the log. */
  readonly audited: number;
  /** Sessions whose log does not match what they sent. */
  readonly mismatched: ReadonlyMap<string, SessionFindings>;
  readonly sshExecsAudited: number;
  readonly httpRequestsAudited: number;
  readonly events: number;
}

export interface SessionFindings extends SessionStatements {
  readonly attempts: number;
  readonly executions: number;
}

export async function verifyAudit(
  auditDir: string,
  publicKey: string,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WARDEN_BIN, 'audit', 'verify', auditDir, '--public-key', publicKey],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ ok: !err, output: `${stdout}${stderr}`.trim().slice(-2000) }),
    );
  });
}

export async function checkAudit(
  auditDir: string,
  publicKey: string,
  ledger: ClientLedger,
  connections: { readonly ssh: string; readonly http: string },
): Promise<AuditFindings> {
  const verified = await verifyAudit(auditDir, publicKey);
  const appOfSession = new Map<string, string>();
  const attemptsBySession = new Map<string, number>();
  const executionsBySession = new Map<string, number>();
  let sshExecsAudited = 0;
  let httpRequestsAudited = 0;
  let events = 0;
  for (const chain of await listChains(auditDir)) {
    const segments = (await readdir(chain.dir)).filter((f) => /^segment-\d+\.jsonl$/.test(f)).sort();
    for (const segment of segments) {
      const lines = createInterface({
        input: createReadStream(join(chain.dir, segment)),
        crlfDelay: Infinity,
      });
      for await (const line of lines) {
        if (line === '') continue;
        events++;
        const e = JSON.parse(line) as {
          type: string;
          session: string | null;
          connection: string | null;
          body: { clientApplication?: string; executions?: number };
        };
        if (e.type === 'session.start' && e.session && e.body.clientApplication?.startsWith('soak-'))
          appOfSession.set(e.session, e.body.clientApplication);
        else if (e.type === 'query.attempt' && e.session)
          attemptsBySession.set(e.session, (attemptsBySession.get(e.session) ?? 0) + 1);
        else if (e.type === 'query.result' && e.session)
          executionsBySession.set(
            e.session,
            (executionsBySession.get(e.session) ?? 0) + (e.body.executions ?? 1),
          );
        else if (e.type === 'command.attempt' && e.connection === connections.ssh) sshExecsAudited++;
        else if (e.type === 'request.attempt' && e.connection === connections.http) httpRequestsAudited++;
      }
    }
  }
  const sessionOfApp = new Map([...appOfSession].map(([session, app]) => [app, session]));
  let audited = 0;
  const mismatched = new Map<string, SessionFindings>();
  for (const [app, sent] of ledger.statements) {
    const session = sessionOfApp.get(app);
    const attempts = (session && attemptsBySession.get(session)) || 0;
    const executions = (session && executionsBySession.get(session)) || 0;
    if (attempts === sent.parsed) audited += Math.min(sent.sent, executions);
    if (attempts !== sent.parsed || executions !== sent.sent)
      mismatched.set(app, { ...sent, attempts, executions });
  }
  return {
    verify: verified.ok ? 'ok' : 'failed',
    verifyOutput: verified.output,
    audited,
    mismatched,
    sshExecsAudited,
    httpRequestsAudited,
    events,
  };
}
