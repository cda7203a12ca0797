/** Write-once storage for sealed segments and evidence packs, by the sink the config names. */
import type { WardenConfig } from '../config/schema';
import type { GcsUploader } from './gcs-uploader';
import type { S3Uploader } from './s3-uploader';

export type Sink = WardenConfig['audit']['sinks'][number];

/** The uploader of a bucket sink; undefined for `stdout`. Cloud SDKs load only when a sink of their kind is configured. */
export function createSinkUploader(sink: Sink): S3Uploader | GcsUploader | undefined {
  switch (sink.kind) {
    case 's3': {
      const m: typeof import('./s3-uploader') = require('./s3-uploader');
      return new m.S3Uploader(sink);
    }
    case 'gcs': {
      const m: typeof import('./gcs-uploader') = require('./gcs-uploader');
      return new m.GcsUploader(sink);
    }
    case 'stdout':
      return undefined;
  }
}
