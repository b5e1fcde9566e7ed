import { Command } from 'commander';
import { loadConfig, runArchive } from '../../index.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { checkOutputPath, toJson, writeOutput } from '../output.js';
import { archiveProgress, renderArchiveText } from '../render/archive-text.js';
import { addDataDirFlag, addTargetFlags } from '../shared-flags.js';

interface ArchiveFlags {
  backupDir: string;
  run?: string;
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
  instance?: string;
  json?: string;
  quiet?: boolean;
}

export function archiveCommand(done: Done): Command {
  const cmd = new Command('archive')
    .description(
      'Move the source files of a verified run (each .db with its -wal and -shm) to a backup folder, with a sha256 manifest. Refuses files changed since the run, or open in any process. Killed at any point, the same command finishes the job.',
    )
    .requiredOption('--backup-dir <dir>', 'where the files go (created with mode 0700; relative paths are kept)')
    .option('--run <id>', 'the run whose files to archive (default: this instance’s latest run from this data dir)')
    .option('--instance <name>', 'name of this instance in the ledger (default: host name)')
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout')
    .option('-q, --quiet', 'no progress on stderr', false);
  addTargetFlags(addDataDirFlag(cmd));
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate archive --data-dir /app/data --database-url "$ARAGORA_POSTGRES_DSN" --instance web-1 --backup-dir /backup/aragora-web-1\n`,
  );
  cmd.action(async (flags: ArchiveFlags) => {
    checkOutputPath(flags.json);
    const config = loadConfig(flags);
    const onProgress = archiveProgress({ quiet: flags.quiet === true || flags.json === '-' });
    const report = await runArchive({
      config,
      backupDir: flags.backupDir,
      onProgress,
      ...(flags.run !== undefined ? { runId: flags.run } : {}),
    });
    if (flags.json !== undefined) writeOutput(flags.json, toJson(report));
    if (flags.json !== '-') process.stdout.write(renderArchiveText(report));
    done(report);
  });
  return cmd;
}
