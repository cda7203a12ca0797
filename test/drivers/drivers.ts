/**
 * The real clients of the driver matrix, each a program that runs every scenario of
 * scenarios.json against the targets it is given (direct, then through Warden) in one process,
 * so a JVM or a Python interpreter starts, and the Java source compiles, once per run.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Target } from './stack';

const clients = join(__dirname, 'clients');
const SCENARIOS_FILE = join(__dirname, 'scenarios.json');
/** Debian's libpostgresql-jdbc-java. */
export const JDBC_JAR = '/usr/share/java/postgresql.jar';
/** Debian's interpreter, where python3-psycopg2 lives (a python3 earlier on PATH may lack it). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface Driver {
  readonly id: string;
  /** Column title in the matrix. */
  readonly title: string;
  command(targets: string): [string, string[]];
}

const node =
  (file: string, ...args: string[]) =>
  (targets: string): [string, string[]] => [
    process.execPath,
    ['--import', 'tsx', join(clients, file), targets, ...args],
  ];

export const DRIVERS: readonly Driver[] = [
  { id: 'psql', title: 'psql', command: node('psql-matrix.mts') },
  { id: 'pg-text', title: 'pg (text)', command: node('pg-matrix.mts', 'text') },
  { id: 'pg-binary', title: 'pg (binary)', command: node('pg-matrix.mts', 'binary') },
  { id: 'postgres-js', title: 'postgres.js', command: node('postgres-js-matrix.mts') },
  {
    id: 'psycopg2',
    title: 'psycopg2',
    command: (targets) => [DEBIAN_PYTHON, [join(clients, 'psycopg2_matrix.py'), targets]],
  },
  {
    id: 'jdbc',
    title: 'JDBC',
    command: (targets) => [
      'java',
      ['-cp', JDBC_JAR, join(clients, 'JdbcMatrix.java'), targets, SCENARIOS_FILE],
    ],
  },
];

export type ScenarioResults = Record<string, unknown>;

export interface DriverRun {
  readonly direct: ScenarioResults;
  readonly warden: ScenarioResults;
  /** Milliseconds per `<label>:<scenario>`, and the whole process. */
  readonly timings: Record<string, number>;
  readonly totalMs: number;
}

/** Runs one driver's program against both targets; rejects with its stderr if it fails. */
export function runDriver(driver: Driver, targets: readonly Target[], timeoutMs: number): Promise<DriverRun> {
  const [bin, args] = driver.command(JSON.stringify(targets));
  const started = performance.now();
  // Settings come from each scenario, never from the environment the tests run in.
  const { PGOPTIONS: _ignored, ...env } = process.env;
  const child = spawn(bin, args, { env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const totalMs = Math.round(performance.now() - started);
      if (status !== 0) return reject(new Error(`${driver.id} exited ${status}: ${err}`));
      try {
        const parsed = JSON.parse(out) as Record<string, ScenarioResults>;
        const timings = parsed.timings as unknown as Record<string, number>;
        resolve({ direct: parsed.direct!, warden: parsed.warden!, timings, totalMs });
      } catch {
        reject(new Error(`${driver.id} printed no JSON: ${out.slice(0, 500)} ${err}`));
      }
    });
  });
}
