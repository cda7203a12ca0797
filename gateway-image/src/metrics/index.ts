/**
 * Operations for one gateway process: its metrics (observers of the audit and Postgres
 * diagnostics channels, process figures), and in the process serving the admin API the
 * `/metrics` and `/readyz` routes, with the workers' figures added up. A failure in here never
 * reaches the data path: observers swallow their own errors, and a scrape that fails is a 500.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Router } from '../admin/router';
import type { GatewayServices } from '../gateway/services';
import { observeAudit } from './audit-observer';
import { defineGatewayMetrics, definePrimaryMetrics } from './definitions';
import { labelGuard } from './labels';
import { observePostgres } from './postgres-observer';
import { Readiness } from './readiness';
import { addOperationsRoutes } from './routes';
import { collectWorkerFigures, renderFigures, reportToPrimary, type Snapshot } from './worker-reports';

/** single: serves everything; primary: the admin API, with workers; worker: data listeners. */
export type ProcessRole = 'single' | 'primary' | 'worker';

export interface Operations {
  /** Adds /readyz and /metrics to the admin router (single and primary processes). */
  configureAdminRoutes(router: Router): void;
  close(): Promise<void>;
}

export function startOperations(services: GatewayServices, role: ProcessRole): Operations {
  const { config } = services;
  const readiness = new Readiness({
    config,
    resolveSecret: (ref) => services.secrets.resolve(ref),
    ...(services.approvals ? { approvalsStore: () => services.approvals!.service.list('pending') } : {}),
    auditFailed: () => auditLogFailed(services),
    workersAuditFailed: () => workers?.latestSum('warden_audit_log_failed') ?? 0,
  });
  const settings = config.observability.metrics;
  if (!settings.enabled) {
    return {
      configureAdminRoutes: (router) => addOperationsRoutes(router, { readiness }),
      close: async () => {},
    };
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = defineGatewayMetrics(registry);
  const guard = labelGuard(config);
  const audit = observeAudit(metrics, guard);
  const stopPostgres = observePostgres(metrics, guard);
  const primary = role === 'worker' ? undefined : definePrimaryMetrics(registry);
  const workers = role === 'primary' ? collectWorkerFigures(() => primary?.workerRestarts.inc()) : undefined;
  const figures = async (): Promise<Snapshot> => {
    audit.refresh();
    const report = readiness.latest;
    if (report) primary?.ready.set(report.ready ? 1 : 0);
    primary?.workersReporting.set(workers?.reporting ?? 0);
    return registry.getMetricsAsJSON();
  };
  const stopReports =
    role === 'worker' ? reportToPrimary(figures, settings.workerReportIntervalMs) : undefined;
  const token = settings.bearerToken;

  return {
    configureAdminRoutes(router) {
      addOperationsRoutes(router, {
        readiness,
        metrics: {
          allowFrom: settings.allowFrom,
          ...(token ? { token: () => services.secrets.resolve(token) } : {}),
          render: async () => {
            const own = await figures();
            return workers ? workers.render(own) : renderFigures([own]);
          },
        },
      });
    },
    async close() {
      await stopReports?.();
      workers?.close();
      stopPostgres();
      audit.close();
      registry.clear();
    },
  };
}

function auditLogFailed(services: GatewayServices): boolean {
  const log = services.audit as { stats?: () => { failed: boolean } };
  return log.stats?.().failed ?? false;
}
