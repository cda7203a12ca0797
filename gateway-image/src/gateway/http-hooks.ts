import { join } from 'node:path';
import type { HttpConnectionConfig } from '../config/connections';
import { principalSummary } from '../identity/principal';
import { applyStrategy } from '../masking/strategies';
import type { HttpExchangeRecord, HttpGatewayHooks, HttpMasker } from '../protocols/http/hooks';
import { RecordingFile } from '../recording/recording-file';
import { errorSummary, hookLog } from './hook-log';
import { withLoginGuard } from './login-guard';
import { PASS_THROUGH, principalMaskers } from './principal-maskers';
import type { GatewayServices } from './services';

/** The HTTP hooks plus the exchange recorder they own, which must be flushed on shutdown. */
export interface GatewayHttpHooks extends HttpGatewayHooks {
  close(): Promise<void>;
}

/** No PHI and no field rules: bodies are relayed unparsed. */
const HTTP_PASS_THROUGH: HttpMasker = { ...PASS_THROUGH, passThrough: true };

/**
 * The HTTP adapter's view of the gateway: identity, access, policy, approvals, audit, masking and
 * recording, each delegated to the service that owns it.
 */
export async function httpHooks(services: GatewayServices): Promise<GatewayHttpHooks> {
  const { config } = services;
  const connections = new Map(
    config.connections.filter((c): c is HttpConnectionConfig => c.kind === 'http').map((c) => [c.name, c]),
  );
  const maskers = await principalMaskers(services);
  const approvals = services.approvals;
  const recorder = exchangeRecorder(services);

  const hooks: GatewayHttpHooks = {
    authenticate: (token) => services.authenticator.authenticate(token),
    authorize(principal, connection) {
      // Checked on every request, so a revoked or expired grant stops the next one.
      const r = services.access.check(principal, connection);
      if (!r.allowed) return { allowed: false, reason: r.reason };
      return r.expiresAt ? { allowed: true, expiresAt: r.expiresAt } : { allowed: true };
    },
    resolveSecret: (ref) => services.secrets.resolve(ref),
    decide: (principal, connection, facts) => services.policy.decide(principal, connection, facts),
    awaitApproval: approvals && ((r) => approvals.awaitApproval(r)),
    async audit(input) {
      const event = {
        type: input.type,
        principal: input.principal ?? null,
        connection: input.connection,
        session: input.session,
        body: { protocol: 'http', ...input.body },
      };
      const { audit } = services;
      // A result rides with the next durable append (group commit); an attempt is durable first.
      await (input.deferred && audit.appendDeferred ? audit.appendDeferred(event) : audit.append(event));
    },
    masker(principal, connection): HttpMasker {
      const c = connections.get(connection);
      if (c && !c.phi && Object.keys(c.phiFields).length === 0) return HTTP_PASS_THROUGH;
      const { policy, text, tokens } = maskers(principal);
      const maskText = (s: string) => text.mask(s).text;
      return {
        mask: (s) => text.mask(s),
        maskField: (entity, value) =>
          applyStrategy(policy.strategyFor(entity), entity, value, { tokens, maskText }),
      };
    },
    ...(recorder ? { record: (x: HttpExchangeRecord) => recorder.record(x) } : {}),
    log: hookLog(services.logger),
    ...(services.tracer ? { tracer: services.tracer } : {}),
    close: async () => recorder?.close(),
  };
  return withLoginGuard(hooks, services.loginGuard);
}

/**
 * Exchanges go to `<recording.dir>/http/<pid>-<start>.jsonl`, one JSON line each: a file per
 * process (workers never share one) kept out of the directory `warden replay` reads Postgres
 * sessions from. Writes are batched off the data path; a failing disk is logged, never shown.
 */
function exchangeRecorder(services: GatewayServices) {
  const rec = services.config.recording;
  if (!rec?.enabled) return undefined;
  const file = new RecordingFile(join(rec.dir, 'http', `${process.pid}-${Date.now()}.jsonl`), {
    onError: (err) => services.logger.error({ err: errorSummary(err) }, 'http recording failed'),
  });
  return {
    record(x: HttpExchangeRecord) {
      const { principal, startedAt, ...rest } = x;
      file.append({
        type: 'http.exchange',
        ...rest,
        principal: principalSummary(principal),
        startedAt: startedAt.toISOString(),
      });
    },
    close: () => file.close(),
  };
}
