import { Command } from 'commander';
import { VERSION } from '../index.js';
import { archiveCommand } from './commands/archive.js';
import { discoverCommand } from './commands/discover.js';
import { migrateCommand } from './commands/migrate.js';
import { planCommand } from './commands/plan.js';
import { rollbackCommand } from './commands/rollback.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT_CODE_HELP, type Done } from './exit-codes.js';

/** Builds the commander program; main.ts runs it, and each command hands its report to `done`. */
export function buildProgram(done: Done = () => undefined): Command {
  const program = new Command('aragora-migrate')
    .description(
      "Move an Aragora instance's SQLite state into the shared PostgreSQL: discover, plan, migrate, verify, archive, rollback, status.",
    )
    .version(VERSION)
    .option('--verbose', 'print stack traces for errors', false)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(discoverCommand(done).exitOverride());
  program.addCommand(planCommand(done).exitOverride());
  program.addCommand(migrateCommand(done).exitOverride());
  program.addCommand(verifyCommand(done).exitOverride());
  program.addCommand(archiveCommand(done).exitOverride());
  program.addCommand(rollbackCommand(done).exitOverride());
  program.addCommand(statusCommand(done).exitOverride());
  program.addHelpText('after', `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate plan --data-dir /app/data\n`);
  return program;
}
