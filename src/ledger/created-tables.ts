import type pg from 'pg';

/** A target table this run created: rollback drops it again once it is empty. */
export async function recordCreatedTable(client: pg.Client, runId: string, target: string): Promise<void> {
  await client.query(
    'INSERT INTO aragora_migrate.created_tables (run_id, target_table) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [runId, target],
  );
}

/** Whether this run created the target table. */
export async function createdByRun(client: pg.Client, runId: string, target: string): Promise<boolean> {
  const r = await client.query('SELECT 1 FROM aragora_migrate.created_tables WHERE run_id = $1 AND target_table = $2', [
    runId,
    target,
  ]);
  return r.rowCount === 1;
}
