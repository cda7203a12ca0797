/**
 * The chains of an audit directory. A gateway process writes one hash chain; with several worker
 * processes each keeps its own (no event crosses a process boundary on the data path), so an
 * audit directory holds the main chain in the directory itself — the single process's, or the
 * primary's (identity, admin and approval events) — and one chain per worker slot under
 * `chains/<id>/`. A worker restarted in its slot continues that slot's chain. Order across
 * chains is by event time, then chain id.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { listSegments } from './segments';

export const CHAINS_DIR = 'chains';

export interface AuditChain {
  /** '' for the directory's own chain, else the worker slot's id (`worker-1`). */
  readonly id: string;
  readonly dir: string;
}

/** Where the chain `id` of `auditDir` lives ('' is the directory itself). */
export function chainDir(auditDir: string, id: string): string {
  return id === '' ? auditDir : join(auditDir, CHAINS_DIR, id);
}

/** The chain id of worker slot `slot` (1-based). */
export function workerChainId(slot: number): string {
  return `worker-${slot}`;
}

/**
 * Every chain in `auditDir`: its own (when it has segments, or when there is nothing else) and each
 * `chains/<id>/` directory with segments, in id order.
 */
export async function listChains(auditDir: string): Promise<AuditChain[]> {
  const chains: AuditChain[] = [];
  const ownSegments = await listSegments(auditDir).catch(() => []);
  let ids: string[] = [];
  try {
    ids = (await readdir(join(auditDir, CHAINS_DIR), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const id of ids) {
    const dir = chainDir(auditDir, id);
    if ((await listSegments(dir)).length > 0) chains.push({ id, dir });
  }
  if (ownSegments.length > 0 || chains.length === 0) chains.unshift({ id: '', dir: auditDir });
  return chains;
}

/**
 * Where a sealed segment goes under a write-once sink's prefix: one folder per gateway host (every
 * host numbers its segments from 1, and objects are create-only) and, for a worker's chain, per
 * chain: `segments/<host>/[chains/<id>/]segment-000001.jsonl`.
 */
export function segmentObjectName(path: string, chain: string, host: string): string {
  return `segments/${safeHost(host)}/${chain === '' ? '' : `${CHAINS_DIR}/${chain}/`}${basename(path)}`;
}

/**
 * Where a finished session recording goes under a write-once sink's prefix: one folder per gateway
 * host, then its path under the recording directory: `recordings/<host>/<session>.jsonl`,
 * `recordings/<host>/<session>.cast`, `recordings/<host>/http/<pid>-<start>.jsonl`. Session files
 * are named by UUID, but HTTP files by process id and start time, which another host can repeat.
 */
export function recordingObjectName(name: string, host: string): string {
  return `recordings/${safeHost(host)}/${name}`;
}

function safeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, '_') || 'host';
}
