import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version: from package.json at the repository root (source) or beside the bundle (image). */
export const VERSION: string = process.env.WARDEN_VERSION ?? readPackageVersion();

function readPackageVersion(): string {
  for (const rel of ['../../../package.json', 'package.json']) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout (source tree, dist/, bundle)
    }
  }
  return '0.0.0-unknown';
}
