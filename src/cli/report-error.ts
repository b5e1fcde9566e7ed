import { CommanderError } from 'commander';
import { connectionLost, EXIT, isMigrateError } from '../index.js';

/**
 * The one place errors become text and an exit code. A MigrateError is
 * expected: message and hint, no stack. Anything else is a bug: the stack and
 * a request to report it.
 */
export function reportError(caught: unknown, verbose: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (caught instanceof CommanderError) return caught.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  // A connection the server or the network ended is expected, in every command.
  const err = connectionLost(caught) ?? caught;
  if (isMigrateError(err)) {
    stderr.write(`error ${err.code}: ${err.message}\n`);
    stderr.write(`hint: ${err.hint}\n`);
    if (verbose && err.stack !== undefined) stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  stderr.write(`internal error: ${stack}\n`);
  stderr.write('This is a bug in aragora-migrate; please report it with the output above.\n');
  return EXIT.INTERNAL;
}
