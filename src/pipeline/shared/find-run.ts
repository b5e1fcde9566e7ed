import type pg from 'pg';
import type { ResolvedConfig } from '../../config/load-config.js';
import { ConfigError, ERROR_CODES } from '../../errors.js';
import { latestRun, latestRunPerInstance, type RunRow } from '../../ledger/runs.js';

/**
 * The run verify or archive works on when no --run is given: this instance's
 * latest from this data dir. Without --instance, the instance defaults to the
 * host name, which is rarely the name migrate was given; so when exactly one
 * instance migrated this data dir, its latest run is the one meant. Otherwise
 * the error lists the runs there are.
 */
export async function latestRunOfDataDir(
  client: pg.Client,
  config: ResolvedConfig,
  code: 'VERIFY_NO_RUN' | 'ARCHIVE_NO_RUN',
): Promise<RunRow> {
  const own = await latestRun(client, config.instance, config.dataDir, config.schema);
  if (own !== null) return own;
  const runs = await latestRunPerInstance(client, config.dataDir, config.schema);
  const [only] = runs;
  if (!config.instanceGiven && runs.length === 1 && only !== undefined) return only;
  const where = `${config.dataDir} into schema ${config.schema}`;
  if (runs.length === 0)
    throw new ConfigError(code, `no run from ${where} in the ledger`, { hint: ERROR_CODES[code].hint });
  const list = runs.map((r) => `--instance ${r.instance} (latest run ${r.run_id}, ${r.state})`).join('; ');
  throw new ConfigError(code, `instance ${config.instance} has no run from ${where}`, {
    hint: `Runs from this data dir: ${list}. Pass one of these --instance names, or --run ID.`,
  });
}
