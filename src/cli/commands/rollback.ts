import { Command, Option } from 'commander';
import {
  ConfigError,
  DEFAULTS,
  ERROR_CODES,
  MigrateError,
  runRollback,
  type RollbackOptions,
  type RollbackReport,
} from '../../index.js';
import { canAsk, confirm } from '../confirm.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { checkOutputs, reportOnStdout, writeReports } from '../output.js';
import { renderRollbackMarkdown } from '../render/rollback-markdown.js';
import { renderRollbackPlan, renderRollbackText } from '../render/rollback-text.js';
import { addEnvFileFlag, positiveInt, resolve } from '../shared-flags.js';

interface RollbackFlags {
  run: string;
  force: boolean;
  databaseUrl?: string;
  envFile?: string[];
  mappings?: string;
  lockTimeout: number;
  maxKeys: number;
  json?: string;
  markdown?: string;
  dryRun: boolean;
  yes: boolean;
}

export function rollbackCommand(done: Done): Command {
  const cmd = new Command('rollback')
    .description(
      'Undo one run: delete the rows it inserted, give the rows it overwrote or merged their values from before, drop the tables it created once empty, and move its archived files back. Refuses rows changed since the run unless --force.',
    )
    .requiredOption('--run <id>', 'the run to undo (aragora-migrate status lists them)')
    .addOption(
      new Option(
        '--force',
        'also roll back rows changed since the run (by the application or by hand); their keys are recorded',
      ).default(false),
    )
    .option('--mappings <dir>', 'the mapping folder the run was migrated with (default: the shipped aragora set)')
    .option(
      '--lock-timeout <seconds>',
      'how long to wait for a running migrate to release the target',
      positiveInt,
      DEFAULTS.rollbackLockTimeoutSeconds,
    )
    .option('--max-keys <n>', 'changed keys listed per table', positiveInt, DEFAULTS.maxKeys)
    .option(
      '--database-url <dsn>',
      'target PostgreSQL (default: $ARAGORA_POSTGRES_DSN, then $DATABASE_URL); sslmode as in libpq',
    )
    .addOption(
      new Option(
        '--dry-run',
        'only report what a rollback would do (rows it would delete and restore, rows changed since, tables it would drop, files it would move back); changes nothing',
      ).default(false),
    )
    .addOption(
      new Option('--yes', 'do not ask for confirmation on a terminal (scripts never get the question)').default(false),
    )
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout')
    .option('--markdown <file>', 'write the report as Markdown (for a change ticket) to a file, or - for stdout');
  addEnvFileFlag(cmd);
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate rollback --run 20261128T101500Z-web-1-k3j9x2 --database-url "$ARAGORA_POSTGRES_DSN"\n`,
  );
  cmd.action(async (flags: RollbackFlags) => {
    checkOutputs(flags);
    // The run names its data dir, schema and instance: only the DSN and mappings are needed.
    const { config, mappings } = await resolve({
      ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
      ...(flags.mappings !== undefined ? { mappings: flags.mappings } : {}),
      ...(flags.envFile !== undefined ? { envFile: flags.envFile } : {}),
    });
    if (config.target === null)
      throw new ConfigError('CONFIG_DSN_MISSING', 'rollback undoes a run in the target PostgreSQL');
    const opts: RollbackOptions = {
      config,
      mappings,
      runId: flags.run,
      force: flags.force,
      lockTimeoutSeconds: flags.lockTimeout,
      maxKeys: flags.maxKeys,
      dryRun: flags.dryRun,
    };
    // Someone at a terminal sees what would go before it goes; scripts (no TTY), --yes and a report on stdout are not asked.
    if (!flags.dryRun && !flags.yes && !reportOnStdout(flags) && canAsk()) await confirmRollback(opts);
    const report = await runRollback(opts);
    const target = config.target.display;
    writeReports(flags, report, {
      markdown: () => renderRollbackMarkdown(report, target),
      text: () => renderRollbackText(report),
    });
    // A refusal is a report (the keys are in it) and, like every refusal, a code and a hint.
    if (report.exitCode !== 0) {
      const hint = ERROR_CODES.ROLLBACK_ROWS_CHANGED.hint;
      const what =
        report.state === 'dry-run'
          ? 'a rollback would be refused (dry run: nothing was changed)'
          : 'nothing was rolled back';
      process.stderr.write(
        `error ROLLBACK_ROWS_CHANGED: rows written by run ${report.runId} changed since; ${what}\nhint: ${hint}\n`,
      );
    }
    done(report);
  });
  return cmd;
}

/**
 * The question before a real rollback: the dry run's tables, then
 * "delete N rows, restore M, drop K tables? [y/N]". Anything but y or yes
 * throws ROLLBACK_NOT_CONFIRMED. A dry run that finds nothing to do, or a
 * refusal, asks nothing: the rollback itself then says so.
 */
async function confirmRollback(opts: RollbackOptions): Promise<void> {
  const preview = await runRollback({ ...opts, dryRun: true });
  if (preview.state !== 'dry-run' || preview.exitCode !== 0) return;
  process.stdout.write(renderRollbackPlan(preview));
  const n = countsOf(preview);
  const question = `Roll back run ${preview.runId}: delete ${n.deleted} rows, restore ${n.restored}, drop ${n.dropped} tables${preview.filesRestored.length > 0 ? `, move back ${preview.filesRestored.length} files` : ''}? [y/N] `;
  if (!(await confirm(`\n${question}`)))
    throw new MigrateError(
      'ROLLBACK_NOT_CONFIRMED',
      `rollback of run ${preview.runId} not confirmed; nothing was changed`,
    );
}

function countsOf(report: RollbackReport): { deleted: number; restored: number; dropped: number } {
  return {
    deleted: report.tables.reduce((n, t) => n + t.rowsDeleted, 0),
    restored: report.tables.reduce((n, t) => n + t.rowsRestored, 0),
    dropped: report.tables.filter((t) => t.dropped).length,
  };
}
