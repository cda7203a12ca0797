/**
 * The reviewer console's static files (plain HTML, CSS and JS next to this module), read once and
 * served with a strong ETag and, when the browser accepts it, gzip: a reviewer on a slow link
 * downloads a few kilobytes once and revalidates after that.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
  'approvals.js': 'text/javascript; charset=utf-8',
  'sessions.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

let cache: Map<string, ConsoleAsset> | undefined;

/**
 * From source the files sit beside this module; the image bundle (image-check.mjs) is one file
 * with the files copied into a `console/` folder beside it.
 */
function assetDir(): string {
  const candidates = [__dirname, join(__dirname, 'console')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`reviewer console files not found in ${candidates.join(' or ')}`);
  return found;
}

export function consoleAsset(name: string): ConsoleAsset | undefined {
  if (!cache) {
    const dir = assetDir();
    cache = new Map(
      Object.entries(FILES).map(([file, type]) => {
        const body = readFileSync(join(dir, file));
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        return [file, { type, body, gzip: gzipSync(body, { level: 9 }), etag }];
      }),
    );
  }
  return cache.get(name);
}

export const CONSOLE_ASSET_NAMES = Object.keys(FILES);
