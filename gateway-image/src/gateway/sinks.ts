import { hostname } from 'node:os';
import type { AuditLog, SealedSegment } from '../audit/log';
import { publishAudit } from '../audit/observe';
import type { WardenConfig } from '../config/schema';
import type { Logger } from '../logging/logger';

interface SegmentUploader {
  uploadSegment(path: string, chain: string, host: string): Promise<unknown>;
}

type Sink = WardenConfig['audit']['sinks'][number];

/**
 * Copies every sealed audit segment to the configured write-once storage (S3 Object Lock, GCS
 * with a locked retention policy). A failed copy is logged and recorded in the audit log itself;
 * the local segment stays, read-only, for the next attempt.
 */
export function shipSealedSegments(
  audit: AuditLog,
  sinks: readonly Sink[],
  logger: Logger,
  chain = '',
): () => void {
  const uploaders = sinks.map(createUploader).filter((u): u is SegmentUploader => u !== undefined);
  if (uploaders.length === 0) return () => {};
  const onSealed = (segment: SealedSegment) => {
    for (const [i, uploader] of uploaders.entries()) {
      const sink = sinks[i]?.kind ?? 'unknown';
      publishAudit({ kind: 'upload', state: 'started', sink });
      uploader.uploadSegment(segment.path, chain, hostname()).then(
        () => publishAudit({ kind: 'upload', state: 'done', sink }),
        (err: unknown) => {
          publishAudit({ kind: 'upload', state: 'failed', sink });
          logger.error(
            { segment: segment.segment, chain, sink: sinks[i]?.kind, code: (err as { code?: string }).code },
            'audit segment upload failed',
          );
          audit
            .append({
              type: 'audit.upload-failed',
              body: {
                segment: segment.segment,
                ...(chain ? { chain } : {}),
                sink: sinks[i]?.kind ?? 'unknown',
              },
            })
            .catch(() => undefined);
        },
      );
    }
  };
  audit.on('sealed', onSealed);
  return () => audit.off('sealed', onSealed);
}

/** Cloud SDKs load only when a sink of their kind is configured. */
function createUploader(sink: Sink): SegmentUploader | undefined {
  switch (sink.kind) {
    case 's3': {
      const m: typeof import('../audit/s3-uploader') = require('../audit/s3-uploader');
      return new m.S3Uploader(sink);
    }
    case 'gcs': {
      const m: typeof import('../audit/gcs-uploader') = require('../audit/gcs-uploader');
      return new m.GcsUploader(sink);
    }
    case 'stdout':
      return undefined;
  }
}
