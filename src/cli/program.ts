import { Command } from 'commander';
import { archiveCommand } from './commands/archive.js';
import { discoverCommand } from './commands/discover.js';
import { migrateCommand } from './commands/migrate.js';
import { planCommand } from './commands/plan.js';
import { rollbackCommand } from './commands/rollback.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT_CODE_HELP } from './exit-codes.js';

import { VERSION } from '../version.js';

/** Builds the commander program; main.ts runs it. */
export function buildProgram(): Command {
  const program = new Command('aragora-migrate')
    .description("Move an Aragora instance's SQLite state into the shared PostgreSQL: discover, plan, migrate, verify, archive, rollback, status.")
    .version(VERSION)
    .option('--verbose', 'print stack traces for errors', false)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(discoverCommand().exitOverride());
  program.addCommand(planCommand().exitOverride());
  program.addCommand(migrateCommand().exitOverride());
  program.addCommand(verifyCommand().exitOverride());
  program.addCommand(archiveCommand().exitOverride());
  program.addCommand(rollbackCommand().exitOverride());
  program.addCommand(statusCommand().exitOverride());
  program.addHelpText('after', `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate plan --data-dir /app/data\n`);
  return program;
}
