import type pg from 'pg';
import { acquireRunLock, releaseRunLock } from './lock.js';

/** How a transaction starts: `BEGIN` plus these words. */
export type TransactionMode = '' | 'READ ONLY' | 'ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * Runs `work` in one transaction on `client`: COMMIT when it returns, ROLLBACK
 * when it throws (the error it threw is the one that surfaces, even when the
 * ROLLBACK fails on a connection already lost). Every multi-statement change
 * of the target and the ledger goes through here, so none can be half-applied.
 */
export async function withTransaction<T>(
  client: pg.Client,
  work: (tx: pg.Client) => Promise<T>,
  mode: TransactionMode = '',
): Promise<T> {
  await client.query(mode === '' ? 'BEGIN' : `BEGIN ${mode}`);
  let result: T;
  try {
    result = await work(client);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  await client.query('COMMIT');
  return result;
}

/**
 * Runs `work` while this session holds the migration lock (src/target/lock.ts),
 * and releases it however `work` ends. A lost connection releases a session
 * lock on the server by itself, so a failed release is not an error.
 */
export async function withRunLock<T>(
  client: pg.Client,
  timeoutSeconds: number,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  await acquireRunLock(client, timeoutSeconds, signal);
  try {
    return await work();
  } finally {
    await releaseRunLock(client).catch(() => undefined);
  }
}

/**
 * The server aborted the transaction to settle a conflict with another
 * session: a deadlock (40P01), or a serialization failure (40001) at
 * REPEATABLE READ or SERIALIZABLE. Nothing of it was kept, and the same work
 * can succeed once the other session is through.
 */
export function isTransactionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** SQLSTATE 23505: a unique or primary key constraint refused a row. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}
