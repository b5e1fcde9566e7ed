import { CommanderError } from 'commander';
import { ConfigError, connectionLost, EXIT, isMigrateError } from '../index.js';

/**
 * The one place errors become text and an exit code. A MigrateError is
 * expected: message and hint, no stack. Anything else is a bug: the stack and
 * a request to report it.
 */
export function reportError(caught: unknown, verbose: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (caught instanceof CommanderError && caught.exitCode === 0) return EXIT.OK;
  const err = usageError(caught) ?? connectionLost(caught) ?? caught;
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

/**
 * commander's own errors (a required option missing, an unknown flag, a bad
 * value) as the usage errors they are: CONFIG_INVALID with its hint, exit 2.
 * A connection the server or the network ended is the other error every
 * command can meet; connectionLost (src/target/connect.ts) names it.
 */
function usageError(caught: unknown): ConfigError | null {
  if (!(caught instanceof CommanderError)) return null;
  return new ConfigError('CONFIG_INVALID', caught.message.replace(/^error: /, ''), { cause: caught });
}
