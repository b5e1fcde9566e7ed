import { CommanderError } from 'commander';
import { ConfigError, EXIT, isMigrateError, runStoppedBy, serverFault } from '../index.js';
import { terminalWidth, wrapHanging } from './render/format.js';

/**
 * The one place errors become text and an exit code. A MigrateError is
 * expected: message and hint, no stack. Anything else is a bug: the stack and
 * a request to report it. On a terminal (`width`, from the stream by default)
 * the message and the hint wrap at its width under their own start; in a pipe
 * or a log each stays on one line, whole for grep.
 */
export function reportError(
  caught: unknown,
  verbose: boolean,
  stderr: NodeJS.WritableStream = process.stderr,
  width: number | undefined = terminalWidth(stderr as { isTTY?: boolean; columns?: number }),
): number {
  if (caught instanceof CommanderError && caught.exitCode === 0) return EXIT.OK;
  const err = reportedError(caught);
  const run = runStoppedBy(caught) ?? runStoppedBy(err);
  if (isMigrateError(err)) {
    stderr.write(`${wrapped(`error ${err.code}: `, err.message, width)}\n`);
    stderr.write(`${wrapped('hint: ', err.hint, width)}\n`);
    if (run !== null)
      stderr.write(`${wrapped('run: ', `${run} (aragora-migrate status shows what it loaded)`, width)}\n`);
    if (verbose && err.stack !== undefined) stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  stderr.write(`internal error: ${stack}\n`);
  stderr.write('This is a bug in aragora-migrate; please report it with the output above.\n');
  if (run !== null) stderr.write(`run: ${run} (aragora-migrate status shows what it loaded)\n`);
  return EXIT.INTERNAL;
}

/**
 * What an error is reported as: commander's usage errors and the server's
 * faults as their coded errors, anything else as it is.
 */
export function reportedError(caught: unknown): unknown {
  return usageError(caught) ?? serverFault(caught) ?? caught;
}

/**
 * commander's own errors (a required option missing, an unknown flag, a bad
 * value) as the usage errors they are: CONFIG_INVALID with its hint, exit 2.
 * A fault of the server (a lost connection, a missing privilege, a full disk)
 * is the other error every command can meet; serverFault
 * (src/target/server-fault.ts) names it.
 */
function usageError(caught: unknown): ConfigError | null {
  if (!(caught instanceof CommanderError)) return null;
  return new ConfigError('CONFIG_INVALID', caught.message.replace(/^error: /, ''), { cause: caught });
}

/**
 * `prefix` and `text`, wrapped at `width`: the first line's continuations
 * under the text after the prefix (or two blanks in, when the prefix takes
 * half the width), a line of its own in the text (a listed file) under itself.
 */
function wrapped(prefix: string, text: string, width: number | undefined): string {
  const indent = width !== undefined && prefix.length > width / 2 ? 2 : prefix.length;
  return text
    .split('\n')
    .map((line, i) =>
      i === 0
        ? wrapHanging(`${prefix}${line}`, width, indent)
        : wrapHanging(line, width, (/^ */.exec(line)?.[0].length ?? 0) + 2),
    )
    .join('\n');
}
