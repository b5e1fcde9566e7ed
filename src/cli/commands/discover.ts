import { Command } from 'commander';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { addDataDirFlag } from '../shared-flags.js';
import { planOrDiscover } from './plan.js';

export function discoverCommand(done: Done): Command {
  const cmd = new Command('discover')
    .description(
      'List the SQLite files under the data dir and classify each: Aragora stores, layout, WAL state, integrity, tables and views with row counts.',
    )
    .option('--json <file>', 'write the listing as JSON to a file, or - for stdout')
    .option('--mappings <dir>', 'a folder of mapping files to classify against instead of the shipped aragora set')
    .option('-q, --quiet', 'no progress on stderr', false);
  addDataDirFlag(cmd);
  cmd.addHelpText('after', `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate discover --data-dir /app/data\n`);
  cmd.action(async (flags: { dataDir?: string; json?: string; mappings?: string; quiet?: boolean }) => {
    // The report's exit code is discover's own: only a file it could not read fails it (src/pipeline/plan/plan.ts).
    done(await planOrDiscover({ ...flags }, true));
  });
  return cmd;
}
