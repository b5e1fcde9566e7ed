import type pg from 'pg';
import { TargetError } from '../errors.js';

/**
 * One session-level advisory lock per target database keeps two `migrate`
 * processes (two instances, or one started twice) from writing at the same
 * time. The holder is found in pg_locks and named, by the application_name
 * each run sets.
 */
const LOCK_SQL_KEY = "hashtext('aragora_migrate:run')";

export async function acquireRunLock(client: pg.Client, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const r = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_SQL_KEY}) AS ok`);
    if (r.rows[0]?.ok === true) return;
    if (Date.now() >= deadline || signal?.aborted === true) {
      const holder = await lockHolder(client);
      throw new TargetError(
        'LOCK_HELD',
        `another aragora-migrate holds the migration lock on this database${holder === null ? '' : `: ${holder}`} (waited ${timeoutSeconds} s)`,
      );
    }
    await new Promise((res) => setTimeout(res, Math.min(500, Math.max(50, deadline - Date.now()))));
  }
}

export async function releaseRunLock(client: pg.Client): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${LOCK_SQL_KEY})`);
}

/**
 * Whether any session holds the migration lock: a run marked `running` while
 * nobody does was stopped without a word (killed, or its machine lost).
 */
export async function runLockHeld(client: pg.Client): Promise<boolean> {
  const r = await client.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = (${LOCK_SQL_KEY})::oid) AS held`,
  );
  return r.rows[0]?.held === true;
}

async function lockHolder(client: pg.Client): Promise<string | null> {
  const r = await client.query<{
    pid: number;
    application_name: string;
    client_addr: string | null;
    backend_start: Date;
  }>(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (${LOCK_SQL_KEY})::oid AND l.pid <> pg_backend_pid()
      LIMIT 1`,
  );
  const h = r.rows[0];
  if (h === undefined) return null;
  return `${h.application_name || 'unknown client'} (server pid ${h.pid}${h.client_addr === null ? '' : `, from ${h.client_addr}`}, connected since ${h.backend_start.toISOString()})`;
}
