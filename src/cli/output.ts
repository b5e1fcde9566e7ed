import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, EXIT, VERSION } from '../index.js';

/**
 * Fails before any work when a report could not be written at the end
 * (`--json`, `--markdown`): a migration must not move every row and then
 * exit 2 for a typo in a path.
 */
export function checkOutputPath(target: string | undefined): void {
  if (target === undefined || target === '-') return;
  const path = resolve(target);
  const dir = dirname(path);
  try {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new Error('it is a folder');
      accessSync(path, constants.W_OK);
    } else {
      if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
      accessSync(dir, constants.W_OK);
    }
  } catch (err: unknown) {
    throw new ConfigError(
      'OUTPUT_UNWRITABLE',
      `cannot write ${target}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** Writes a report to a file, or to stdout for `-`. */
export function writeOutput(target: string, text: string): void {
  if (target === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(target, text);
  } catch (err: unknown) {
    throw new ConfigError(
      'OUTPUT_UNWRITABLE',
      `cannot write ${target}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** The version of the `--json` shape (docs/json-report.md): raised when a field is renamed or removed. */
export const JSON_SCHEMA_VERSION = 1;

/** One word for what an exit code means, the same in every command's JSON (`verdict`). */
const VERDICTS: Record<number, string> = {
  [EXIT.OK]: 'ok',
  [EXIT.INTERNAL]: 'failed',
  [EXIT.USAGE]: 'usage',
  [EXIT.REJECTED_ROWS]: 'ok-with-rejects',
  [EXIT.VERIFY_DIFFERENCES]: 'differences',
  [EXIT.REFUSED]: 'refused',
  [EXIT.INTERRUPTED]: 'interrupted',
};

/**
 * A command's report as `--json` writes it: what produced it and when, and its
 * verdict, ahead of the report's own fields, so a stored report says what it is.
 */
export function toJson(report: { readonly exitCode: number }): string {
  const envelope = {
    schemaVersion: JSON_SCHEMA_VERSION,
    toolVersion: VERSION,
    generatedAt: new Date().toISOString(),
    verdict: VERDICTS[report.exitCode] ?? 'failed',
    ...report,
  };
  return `${JSON.stringify(envelope, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
