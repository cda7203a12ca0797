import { join } from 'node:path';
import type { HttpConnectionConfig } from '../config/connections';
import { principalSummary } from '../identity/principal';
import type { HttpExchangeRecord, HttpGatewayHooks, HttpMasker } from '../protocols/http/hooks';
import { RecordingFile } from '../recording/recording-file';
import { adapterHooks } from './adapter-hooks';
import { errorSummary } from './hook-log';
import { withLoginGuard } from './login-guard';
import { fieldMasker, PASS_THROUGH, principalMaskers } from './principal-maskers';
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
  const recorder = exchangeRecorder(services);

  // Grants are checked on every request, so a revoked or expired grant stops the next one.
  const hooks: GatewayHttpHooks = {
    ...adapterHooks(services),
    masker(principal, connection): HttpMasker {
      const c = connections.get(connection);
      if (c && !c.phi && Object.keys(c.phiFields).length === 0) return HTTP_PASS_THROUGH;
      return fieldMasker(maskers(principal));
    },
    ...(recorder ? { record: (x: HttpExchangeRecord) => recorder.record(x) } : {}),
    close: async () => recorder?.close(),
  };
  return withLoginGuard(hooks, services.loginGuard);
}

/**
 * Exchanges go to `<recording.dir>/http/<pid>-<start>.jsonl`, one JSON line each: a file per
 * process (workers never share one) kept out of the directory `warden replay` reads Postgres
 * sessions from. Writes are batched off the data path; a failing disk is logged, never shown. The file
 * is closed at shutdown, and then copied to the write-once sinks (recording-sinks.ts).
 */
function exchangeRecorder(services: GatewayServices) {
  const rec = services.config.recording;
  if (!rec?.enabled) return undefined;
  const file = new RecordingFile(join(rec.dir, 'http', `${process.pid}-${Date.now()}.jsonl`), {
    onError: (err) => services.logger.error({ err: errorSummary(err) }, 'http recording failed'),
  });
  let recorded = false;
  return {
    record(x: HttpExchangeRecord) {
      recorded = true;
      const { principal, startedAt, ...rest } = x;
      file.append({
        type: 'http.exchange',
        ...rest,
        principal: principalSummary(principal),
        startedAt: startedAt.toISOString(),
      });
    },
    // Closed at shutdown, a file that holds exchanges is copied to write-once storage.
    close: async () => {
      await file.close();
      if (recorded && file.created) services.recordingFinished(file.path);
    },
  };
}
