import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every event of the gateway's own audit chain in `auditDir` (the primary's segments), in order. */
export async function readAuditLines<T>(auditDir: string): Promise<T[]> {
  const names = (await readdir(auditDir)).filter((n) => /^segment-\d+\.jsonl$/.test(n)).sort();
  const text = (await Promise.all(names.map((n) => readFile(join(auditDir, n), 'utf8')))).join('');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
