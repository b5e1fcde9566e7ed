import { Command } from 'commander';
import { resolve as resolvePath } from 'node:path';
import {
  assertDataDir,
  ConfigError,
  dataDirOrigin,
  commandOptions,
  DEFAULTS,
  MigrateError,
  runMigration,
  stoppedRun,
  shellWord,
  type MigrateReport,
  type PipelineEventMap,
  type Reporter,
} from '../../index.js';
import { errorReport, writeErrorReports } from '../error-report.js';
import { EXIT, EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { terminalWidth } from '../render/format.js';
import { checkOutputs, reportOnStdout, writeReports } from '../output.js';
import { renderMigrateMarkdown } from '../render/migrate-markdown.js';
import { renderMigrateText } from '../render/migrate-text.js';
import { progressReporter } from '../render/progress.js';
import {
  addLoadFlags,
  addSourceTargetFlags,
  positiveInt,
  wholeNumber,
  resolve,
  type SourceTargetFlags,
} from '../shared-flags.js';

interface MigrateFlags extends SourceTargetFlags {
  jobs: number;
  batchRows: number;
  lockTimeout: number;
  rejectDir: string;
  verify: boolean;
  maxKeys: number;
  maxRejects?: number;
  json?: string;
  markdown?: string;
  quiet?: boolean;
}

export function migrateCommand(done: Done): Command {
  const cmd = new Command('migrate')
    .description(
      'Stream every mapped table into PostgreSQL through COPY, in batches that commit with their checkpoint. Killed at any point, the same command resumes.',
    )
    .option('--jobs <n>', 'tables loaded at once', positiveInt, DEFAULTS.jobs)
    .option('--batch-rows <n>', 'rows per batch (one transaction each)', positiveInt, DEFAULTS.batchRows)
    .option(
      '--lock-timeout <seconds>',
      'how long to wait for another migrate to finish',
      positiveInt,
      DEFAULTS.lockTimeoutSeconds,
    )
    .option('--reject-dir <dir>', 'where reject files go, one folder per run', DEFAULTS.rejectDir)
    .option('--no-verify', 'skip the verification at the end (run verify later)')
    .option('--max-keys <n>', 'differing keys listed per table by the verification', positiveInt, DEFAULTS.maxKeys)
    .option(
      '--max-rejects <n>',
      'refuse before loading when plan counts more than N rejected rows (profiles every table first)',
      wholeNumber,
    )
    .option('--json <file>', 'write the run report as JSON to a file, or - for stdout')
    .option('--markdown <file>', 'write the run report as Markdown (for a change ticket) to a file, or - for stdout')
    .option('-q, --quiet', 'no progress on stderr', false);
  addLoadFlags(addSourceTargetFlags(cmd));
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nCtrl-C stops after the current batch; run the same command again to resume.\n\nExample:\n  $ aragora-migrate migrate --data-dir /app/data --database-url "$ARAGORA_POSTGRES_DSN" --instance web-1\n`,
  );
  cmd.action(async (flags: MigrateFlags) => {
    done(await migrate(flags));
  });
  return cmd;
}

async function migrate(flags: MigrateFlags): Promise<MigrateReport> {
  const { config, mappings } = await resolve(flags);
  assertDataDir(config.dataDir, dataDirOrigin(config));
  if (config.target === null) throw new ConfigError('CONFIG_DSN_MISSING', 'migrate needs the target PostgreSQL');
  checkOutputs(flags);
  const controller = new AbortController();
  // The run this command holds, once it holds one: a second signal names it in the error report.
  let runId: string | null = null;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write(
        `\n${sig}: stopping after the current batch (every committed batch is kept; press Ctrl-C again to stop at once)\n`,
      );
      controller.abort();
    } else {
      // The open transaction is rolled back by the server when the connection drops.
      process.stderr.write('stopping now; run the same command again to resume\n');
      const stopped = new MigrateError(
        'RUN_INTERRUPTED',
        `${sig} twice: stopped at once, the batch in flight not waited for`,
      );
      writeErrorReports(
        flags,
        errorReport('migrate', runId === null ? stopped : stoppedRun(stopped, runId), EXIT.INTERRUPTED),
      );
      process.exit(EXIT.INTERRUPTED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressReporter({ quiet: flags.quiet === true || reportOnStdout(flags), verb: 'loading' });
  const reporter: Reporter = {
    emit(event, payload) {
      if (event === 'run') runId = (payload as PipelineEventMap['run']).runId;
      progress.emit(event, payload);
    },
  };
  try {
    const report = await runMigration({
      config,
      mappings,
      reporter,
      signal: controller.signal,
      jobs: flags.jobs,
      batchRows: flags.batchRows,
      batchBytes: DEFAULTS.batchBytes,
      lockTimeoutSeconds: flags.lockTimeout,
      rejectDir: resolvePath(flags.rejectDir),
      verify: flags.verify,
      maxKeys: flags.maxKeys,
      maxRejects: flags.maxRejects,
    });
    progress.stop();
    // verify reads the run's tables as this run did only with the same options; --auto derives from the data dir.
    const auto = flags.auto === true;
    const verifyOptions = `${commandOptions(config, { auto })}${auto ? ` --data-dir ${shellWord(config.dataDir)}` : ''}`;
    writeReports(flags, report, {
      markdown: () => renderMigrateMarkdown(report, { verifyOptions }),
      text: () => renderMigrateText(report, { width: terminalWidth(process.stdout), verifyOptions }),
    });
    return report;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
