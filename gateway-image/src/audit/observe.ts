/**
 * What the audit log publishes for observers (metrics) on the `warden.audit` diagnostics channel:
 * each event as it is sequenced, each write+fsync batch as it completes, and failures. Every
 * publish is guarded by `hasSubscribers`, so a log nobody watches builds nothing. Subscribers run
 * synchronously inside the writer: they must not throw and must not keep the event.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { AuditEvent } from './event';

export const AUDIT_CHANNEL = 'warden.audit';
export const auditChannel = diagnosticsChannel.channel(AUDIT_CHANNEL);

export type AuditObservation =
  /** An event was sequenced (it is durable once its batch completes). */
  | { readonly kind: 'event'; readonly event: AuditEvent }
  | {
      /** One write+fsync round completed. */
      readonly kind: 'batch';
      /** Events in the batch (group commit: several appends share one fsync). */
      readonly events: number;
      readonly bytes: number;
      /** For each event something waited on (not deferred): ms from its append to durable. */
      readonly waitsMs: readonly number[];
      /** Bytes in the segment being written, not yet sealed and copied to write-once storage. */
      readonly unsealedBytes: number;
      /** The batch carried a signed checkpoint. */
      readonly checkpoint: boolean;
    }
  /** Appends refused because the log failed (write or fsync error) and refuses everything since. */
  | { readonly kind: 'append.failed'; readonly count: number }
  /**
   * A copy to write-once storage (a sealed segment, a finished recording) started (once, at its
   * first attempt), succeeded, or had an attempt fail (gateway/sinks.ts).
   */
  | { readonly kind: 'upload'; readonly state: 'started' | 'done' | 'failed'; readonly sink: string };

export function publishAudit(observation: AuditObservation): void {
  if (auditChannel.hasSubscribers) auditChannel.publish(observation);
}
