import { Command } from 'commander';
import { EXIT_CODE_HELP } from '../exit-codes.js';
import { addDataDirFlag } from '../shared-flags.js';
import { plan } from './plan.js';

export function discoverCommand(): Command {
  const cmd = new Command('discover')
    .description('List the SQLite files under the data dir and classify each: Aragora stores, layout, WAL state, integrity, tables and views with row counts.')
    .option('--json <file>', 'write the listing as JSON to a file, or - for stdout')
    .option('--mappings <dir>', 'a folder of mapping files to classify against instead of the shipped aragora set')
    .option('-q, --quiet', 'no progress on stderr', false);
  addDataDirFlag(cmd);
  cmd.addHelpText('after', `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate discover --data-dir /app/data\n`);
  cmd.action(async (flags: { dataDir?: string; json?: string; mappings?: string; quiet?: boolean }) => {
    const code = await plan({ ...flags }, true);
    // discover reports; only an unreadable or busy file makes it fail.
    cmd.setOptionValue('exitCode', code === 5 ? 5 : 0);
  });
  return cmd;
}
