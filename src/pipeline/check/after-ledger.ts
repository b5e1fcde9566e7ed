import type pg from 'pg';
import { archiveRowsOfRuns } from '../../ledger/archives.js';
import { listRuns, runFiles } from '../../ledger/runs.js';
import { ledgerExists } from '../../ledger/schema.js';
import { verificationsOfRuns } from '../../ledger/verifications.js';
import type { CheckItem } from '../../report/check-report.js';
import { runLockHeld } from '../../target/lock.js';
import { withTransaction } from '../../target/transaction.js';
import { judgeLedger, nothingMigrated } from './after-ledger-rules.js';

/**
 * The ledger's side of the cutover: is every instance's migration finished
 * (verified, and archived or kept)? Read as status reads it
 * (src/pipeline/status/status.ts): one read-only transaction, through the
 * ledger's own functions, never creating or upgrading the ledger.
 */
export async function ledgerChecks(
  client: pg.Client,
  database: string,
  keptInstances: readonly string[],
): Promise<CheckItem[]> {
  return withTransaction(
    client,
    async (tx) => {
      if (!(await ledgerExists(tx))) return [nothingMigrated(database)];
      const runs = await listRuns(tx, {});
      const ids = runs.map((r) => r.run_id);
      const files = new Map<string, string[]>();
      for (const id of ids)
        files.set(
          id,
          (await runFiles(tx, id)).map((f) => f.path),
        );
      return judgeLedger(
        {
          runs,
          verifications: await verificationsOfRuns(tx, ids),
          archives: await archiveRowsOfRuns(tx, ids),
          files,
          // As status tells a live run from a stopped one (src/pipeline/status/status.ts).
          lockHeld: runs.some((r) => r.state === 'running') && (await runLockHeld(tx)),
        },
        keptInstances,
        database,
      );
    },
    'READ ONLY',
  );
}
