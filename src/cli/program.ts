import { Command } from 'commander';
import { VERSION } from '../index.js';
import { archiveCommand } from './commands/archive.js';
import { checkCommand } from './commands/check.js';
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
      "Move an Aragora instance's SQLite state into the shared PostgreSQL: discover, plan, migrate, verify, archive, rollback, status, and check the cutover.",
    )
    .version(VERSION)
    .option('--verbose', 'print stack traces for errors', false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  const commands = [
    discoverCommand(done),
    planCommand(done),
    migrateCommand(done),
    verifyCommand(done),
    archiveCommand(done),
    rollbackCommand(done),
    statusCommand(done),
    checkCommand(done),
  ];
  for (const cmd of commands) {
    // A usage error is reported like every other error, with a code and a hint (report-error.ts), not commander's own line.
    cmd.exitOverride().configureOutput({ outputError: () => undefined });
    for (const o of cmd.options) if (o.mandatory) o.description = `(required) ${o.description}`;
    program.addCommand(cmd);
  }
  program.addHelpText('after', `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate plan --data-dir /app/data\n`);
  return program;
}
