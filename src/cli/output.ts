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

/** Where a command's reports go: `--json` and `--markdown`, each a file or `-` for stdout. */
export interface ReportOutputs {
  readonly json?: string | undefined;
  readonly markdown?: string | undefined;
}

/**
 * checkOutputPath for both reports, and a usage error when both are to go to
 * stdout: a reader of `--json -` parses all of stdout, so only one report may be there.
 */
export function checkOutputs(o: ReportOutputs): void {
  if (o.json === '-' && o.markdown === '-')
    throw new ConfigError(
      'CONFIG_INVALID',
      '--json - and --markdown - both write to stdout; only one report can go there',
      {
        hint: 'Write one of the two to a file: --json report.json --markdown -, or --json - --markdown report.md.',
      },
    );
  checkOutputPath(o.json);
  checkOutputPath(o.markdown);
}

/** A report goes to stdout (`--json -` or `--markdown -`): then nothing else may, progress and questions included. */
export function reportOnStdout(o: ReportOutputs): boolean {
  return o.json === '-' || o.markdown === '-';
}

/**
 * Writes the reports asked for (JSON, Markdown), then the text report to
 * stdout unless a report has stdout. The renderers are called only when needed.
 */
export function writeReports(
  o: ReportOutputs,
  report: { readonly exitCode: number },
  render: { readonly markdown: () => string; readonly text: () => string },
): void {
  if (o.json !== undefined) writeOutput(o.json, toJson(report));
  if (o.markdown !== undefined) writeOutput(o.markdown, render.markdown());
  if (!reportOnStdout(o)) process.stdout.write(render.text());
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
const VERDICTS: Readonly<Record<number, string>> = {
  [EXIT.OK]: 'ok',
  [EXIT.INTERNAL]: 'failed',
  [EXIT.USAGE]: 'usage',
  [EXIT.REJECTED_ROWS]: 'ok-with-rejects',
  [EXIT.VERIFY_DIFFERENCES]: 'differences',
  [EXIT.REFUSED]: 'refused',
  [EXIT.INTERRUPTED]: 'interrupted',
};

/** The word for an exit code (`ok`, `ok-with-rejects`, `differences`, …): JSON's `verdict`, and the Markdown reports' exit code line. */
export function verdictWord(exitCode: number): string {
  return VERDICTS[exitCode] ?? 'failed';
}

/**
 * A command's report as `--json` writes it: what produced it and when, and its
 * verdict, ahead of the report's own fields, so a stored report says what it is.
 */
export function toJson(report: { readonly exitCode: number }): string {
  const envelope = {
    schemaVersion: JSON_SCHEMA_VERSION,
    toolVersion: VERSION,
    generatedAt: new Date().toISOString(),
    verdict: verdictWord(report.exitCode),
    ...report,
  };
  return `${JSON.stringify(envelope, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
