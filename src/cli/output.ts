import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../index.js';

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

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
