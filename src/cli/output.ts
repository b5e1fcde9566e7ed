import { writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** Writes a report to a file, or to stdout for `-`. */
export function writeOutput(target: string, text: string): void {
  if (target === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(target, text);
  } catch (err: unknown) {
    throw new ConfigError('OUTPUT_UNWRITABLE', `cannot write ${target}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
