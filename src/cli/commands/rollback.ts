import { Command, Option } from 'commander';
import { ConfigError, DEFAULTS, ERROR_CODES, runRollback } from '../../index.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { checkOutputPath, toJson, writeOutput } from '../output.js';
import { renderRollbackText } from '../render/rollback-text.js';
import { positiveInt, resolve } from '../shared-flags.js';

interface RollbackFlags {
  run: string;
  force: boolean;
  databaseUrl?: string;
  mappings?: string;
  lockTimeout: number;
  maxKeys: number;
  json?: string;
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
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout');
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate rollback --run 20261128T101500Z-web-1-k3j9x2 --database-url "$ARAGORA_POSTGRES_DSN"\n`,
  );
  cmd.action(async (flags: RollbackFlags) => {
    checkOutputPath(flags.json);
    // The run names its data dir, schema and instance: only the DSN and mappings are needed.
    const { config, mappings } = resolve({
      ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
      ...(flags.mappings !== undefined ? { mappings: flags.mappings } : {}),
    });
    if (config.target === null)
      throw new ConfigError('CONFIG_DSN_MISSING', 'rollback undoes a run in the target PostgreSQL');
    const report = await runRollback({
      config,
      mappings,
      runId: flags.run,
      force: flags.force,
      lockTimeoutSeconds: flags.lockTimeout,
      maxKeys: flags.maxKeys,
    });
    if (flags.json !== undefined) writeOutput(flags.json, toJson(report));
    if (flags.json !== '-') process.stdout.write(renderRollbackText(report));
    // A refusal is a report (the keys are in it) and, like every refusal, a code and a hint.
    if (report.state === 'refused') {
      const hint = ERROR_CODES.ROLLBACK_ROWS_CHANGED.hint;
      process.stderr.write(
        `error ROLLBACK_ROWS_CHANGED: rows written by run ${report.runId} changed since; nothing was rolled back\nhint: ${hint}\n`,
      );
    }
    done(report);
  });
  return cmd;
}
