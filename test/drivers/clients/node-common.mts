/**
 * What the Node driver programs share: the target and scenario list they are handed, JSON-safe
 * values, error fields, and the loop that runs every scenario and prints one JSON object.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface Target {
  readonly label: 'direct' | 'warden';
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly phiDatabase: string;
  readonly user: string;
  readonly password: string;
  readonly ssl: boolean;
  readonly role: { readonly user: string; readonly password: string };
  readonly unknownUser: string;
  readonly tag: string;
}

/** The targets to run against, in order (direct, then through Warden): one process for both. */
const targets: Target[] = JSON.parse(process.argv[2]!);
/** The target of the scenarios running now. */
export let target: Target = targets[0]!;
// biome-ignore lint/suspicious/noExplicitAny: the shared scenario file is plain JSON
export const S: any = JSON.parse(readFileSync(new URL('../scenarios.json', import.meta.url), 'utf8'));

export const tagged = (sql: string): string => sql.replaceAll('{tag}', target.tag);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A driver value as JSON: its JS type made visible (Date, Buffer, bigint) and a canonical text. */
export function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return `Date:${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()}`;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `Buffer:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'bigint') return `bigint:${v}`;
  if (typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return `number:${v}`;
  return v;
}

/** The ErrorResponse fields a driver exposes, under one set of names. */
export function errorFields(e: unknown): Record<string, unknown> {
  const err = e as Record<string, unknown>;
  const out: Record<string, unknown> = { code: err.code, message: err.message };
  for (const [key, names] of [
    ['detail', ['detail']],
    ['hint', ['hint']],
    ['position', ['position']],
    ['constraint', ['constraint', 'constraint_name']],
  ] as const) {
    const value = names.map((n) => err[n]).find((x) => x !== undefined && x !== null);
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

export async function attempt<T>(fn: () => Promise<T>): Promise<T | { error: Record<string, unknown> }> {
  try {
    return await fn();
  } catch (e) {
    return { error: errorFields(e) };
  }
}

/** Row count and SHA-256 of "g,h" lines, so 100k rows compare without being printed. */
export function digest(rows: readonly (readonly unknown[])[]): { rows: number; sha256: string } {
  const h = createHash('sha256');
  for (const r of rows) h.update(`${r.join(',')}\n`);
  return { rows: rows.length, sha256: h.digest('hex') };
}

/** Until `probe` says no backend runs the statement a disconnected client left (at most 10 s). */
export async function backendGone(probe: () => Promise<number>): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if ((await probe()) === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export type Scenario = (() => Promise<unknown>) | string;

/**
 * Runs each scenario in order (a string is why it does not apply) against each target and prints
 * `{ <label>: { <scenario>: result } }`, with each scenario's milliseconds under `timings`.
 */
export async function runAll(scenarios: Record<string, Scenario>): Promise<void> {
  const out: Record<string, Record<string, unknown>> = { timings: {} };
  for (const t of targets) {
    target = t;
    const results: Record<string, unknown> = {};
    for (const [name, run] of Object.entries(scenarios)) {
      if (typeof run === 'string') {
        results[name] = { na: run };
        continue;
      }
      const started = performance.now();
      try {
        results[name] = await run();
      } catch (e) {
        results[name] = { crash: String(e), stack: String((e as Error).stack).slice(0, 800) };
      }
      out.timings![`${t.label}:${name}`] = Math.round(performance.now() - started);
    }
    out[t.label] = results;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
