import type { ResolvedConfig } from '../../config/load-config.js';
import { DEFAULTS } from '../../defaults.js';
import { shellWord } from '../../util/shell-word.js';
import { commandOptions } from '../../config/command-options.js';

/**
 * The operator's steps for this instance (README.md, "The operator's
 * runbook"), with this run's values filled in. Each command carries the
 * options plan ran with that change what it does (src/config/command-options.ts;
 * `auto`: plan ran with --auto and it mapped tables the set does not name).
 */
export function buildRunbook(config: ResolvedConfig, exitCode: number, opts: { readonly auto: boolean }): string[] {
  const dir = shellWord(config.dataDir);
  const inst = shellWord(config.instance);
  // The DSN goes by reference: a password never lands in a report, a terminal's scrollback or a shell history.
  const dsn = '"$ARAGORA_POSTGRES_DSN"';
  const schema = config.schema === DEFAULTS.schema ? '' : ` --schema ${shellWord(config.schema)}`;
  const mappings = config.mappingsDir === null ? '' : ` --mappings ${shellWord(config.mappingsDir)}`;
  const source = commandOptions(config, opts);
  const steps: string[] = [];
  if (exitCode === 5)
    steps.push('Resolve every finding with action "block" above, then run plan again; migrate refuses until then.');
  if (exitCode === 3)
    steps.push(
      'Read the findings with action "reject": those rows will go to the reject file, not to PostgreSQL. Fix them in SQLite first if they matter.',
    );
  if (config.target === null)
    steps.push(
      `Run plan again with the target DSN to check the target tables, column types and key conflicts: aragora-migrate plan --data-dir ${dir}${source} --database-url ${dsn}`,
    );
  steps.push(
    `Drain instance ${config.instance} from the load balancer and stop its aragora service (no process may hold the .db files).`,
    `aragora-migrate migrate --data-dir ${dir} --instance ${inst}${source}${config.widenColumns ? ' --widen-columns' : ''} --database-url ${dsn}   (killed at any point, the same command resumes)`,
    `aragora-migrate verify --data-dir ${dir} --instance ${inst}${source} --database-url ${dsn}   (exit 0 = every table matches)`,
    `aragora-migrate archive --data-dir ${dir} --instance ${inst}${schema} --backup-dir <backup folder outside the data dir> --database-url ${dsn}   (moves the verified run's files with -wal/-shm, writes a sha256 manifest; refuses files changed since the run or still open)`,
    'Point this instance at PostgreSQL, restart it, put it back behind the load balancer.',
    "Repeat on the next instance: its rows merge into the same tables under each table's conflict policy.",
    `If anything is wrong: aragora-migrate rollback --run <run id from migrate>${mappings} undoes the run in PostgreSQL and moves its archived files back (a later instance merged on top is rolled back first).`,
  );
  return steps;
}
