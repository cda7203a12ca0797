/**
 * The PostgreSQL store's own schema, created if missing: one row per approval and per grant, the
 * record kept whole as JSONB (the same document the file store writes), with the columns queries
 * filter and sort on. Every write takes the next value of `change_seq`, so a store that lost its
 * LISTEN connection can replay what changed meanwhile.
 */
import type { Pool } from 'pg';

export const SCHEMA = 'warden';
/** NOTIFY channel; payload `{"k":"approval"|"grant","id":…,"s":seq,"from":instance}`. */
export const CHANNEL = 'warden_approvals';
/** Serialises schema creation between replicas starting together (any constant, same everywhere). */
const DDL_LOCK = 0x5741_5250;

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${SCHEMA};
CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.change_seq;
CREATE TABLE IF NOT EXISTS ${SCHEMA}.approvals (
  id text PRIMARY KEY,
  status text NOT NULL,
  created_at text NOT NULL,
  record jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  seq bigint NOT NULL DEFAULT nextval('${SCHEMA}.change_seq'),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS approvals_status_created ON ${SCHEMA}.approvals (status, created_at DESC);
CREATE INDEX IF NOT EXISTS approvals_seq ON ${SCHEMA}.approvals (seq);
CREATE TABLE IF NOT EXISTS ${SCHEMA}.grants (
  id text PRIMARY KEY,
  created_at text NOT NULL,
  expires_at text NOT NULL,
  ended boolean NOT NULL DEFAULT false,
  record jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  seq bigint NOT NULL DEFAULT nextval('${SCHEMA}.change_seq'),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS grants_seq ON ${SCHEMA}.grants (seq);
`;

export async function ensureSchema(pool: Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    // CREATE … IF NOT EXISTS is not safe against a concurrent creator; the lock is.
    await c.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
    await c.query(DDL);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Decided approvals and ended grants kept for listing, as in the file store (the audit log keeps all). */
const KEEP_FINISHED = 1000;

/**
 * Drops finished records beyond the newest KEEP_FINISHED, and marks abandoned the command approvals
 * still pending a minute past their expiry: a live hold expires its own request on time, so one
 * left over belongs to a replica that died holding it. Returns the ids it abandoned.
 */
export async function housekeep(pool: Pool, now: Date): Promise<string[]> {
  const at = now.toISOString();
  const stale = new Date(now.getTime() - 60_000).toISOString();
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE ${SCHEMA}.approvals
        SET status = 'abandoned', version = version + 1, seq = nextval('${SCHEMA}.change_seq'),
            updated_at = clock_timestamp(),
            record = record || jsonb_build_object('status', 'abandoned', 'decidedAt', $1::text)
      WHERE status = 'pending' AND record->>'kind' = 'command' AND record->>'expiresAt' < $2
      RETURNING id`,
    [at, stale],
  );
  await pool.query(
    `DELETE FROM ${SCHEMA}.approvals WHERE id IN (
       SELECT id FROM ${SCHEMA}.approvals WHERE status <> 'pending'
        ORDER BY created_at DESC OFFSET ${KEEP_FINISHED})`,
  );
  await pool.query(
    `DELETE FROM ${SCHEMA}.grants WHERE id IN (
       SELECT id FROM ${SCHEMA}.grants WHERE ended OR expires_at <= $1
        ORDER BY created_at DESC OFFSET ${KEEP_FINISHED})`,
    [at],
  );
  return rows.map((r) => r.id);
}
