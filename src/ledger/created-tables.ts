import type pg from 'pg';

/** A target table this run created: rollback drops it again once it is empty. */
export async function recordCreatedTable(client: pg.Client, runId: string, target: string): Promise<void> {
  await client.query(
    'INSERT INTO aragora_migrate.created_tables (run_id, target_table) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [runId, target],
  );
}
