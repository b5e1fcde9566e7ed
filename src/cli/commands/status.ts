import { Command } from 'commander';
import { ConfigError, loadConfig, runStatus } from '../../index.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { checkOutputPath, toJson, writeOutput } from '../output.js';
import { renderStatusBrief, renderStatusText } from '../render/status-text.js';
import { addEnvFileFlag } from '../shared-flags.js';

interface StatusFlags {
  run?: string;
  databaseUrl?: string;
  envFile?: string[];
  schema?: string;
  json?: string;
  brief: boolean;
}

export function statusCommand(done: Done): Command {
  const cmd = new Command('status')
    .description(
      'List the runs the ledger in the target holds: state, tables and row counts, and whether each run is verified, archived or rolled back. Reads only; needs only the DSN.',
    )
    .option('--run <id>', 'show this run in detail')
    .option(
      '--database-url <dsn>',
      'target PostgreSQL (default: $ARAGORA_POSTGRES_DSN, then $DATABASE_URL); sslmode as in libpq',
    )
    .option('--schema <name>', 'only runs into this target schema (default: every schema)')
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout')
    .option('--brief', 'one line per run (run, instance, state, start, rows, flags) instead of its tables', false);
  addEnvFileFlag(cmd);
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate status --database-url "$ARAGORA_POSTGRES_DSN"\n`,
  );
  cmd.action(async (flags: StatusFlags) => {
    checkOutputPath(flags.json);
    // The data dir and instance play no part: the ledger lists every instance's runs.
    const config = loadConfig({
      ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
      ...(flags.envFile !== undefined ? { envFile: flags.envFile } : {}),
    });
    if (config.target === null)
      throw new ConfigError('CONFIG_DSN_MISSING', 'status reads the ledger in the target PostgreSQL');
    const report = await runStatus({
      target: config.target,
      ...(flags.run !== undefined ? { runId: flags.run } : {}),
      ...(flags.schema !== undefined ? { schema: flags.schema } : {}),
    });
    if (flags.json !== undefined) writeOutput(flags.json, toJson(report));
    if (flags.json !== '-')
      process.stdout.write(flags.brief ? renderStatusBrief(report) : renderStatusText(report, flags.run !== undefined));
    done(report);
  });
  return cmd;
}
