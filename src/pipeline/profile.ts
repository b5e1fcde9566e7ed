import type Database from 'better-sqlite3';
import type { FindingCollector } from '../report/findings.js';
import type { CompiledTable, RowOutcome } from '../tables/row-converter.js';
import type { SourceValue } from '../tables/value.js';
import type { Reporter } from './events.js';
import { readPages } from './read.js';

export interface TableProfile {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  /** Rows loaded with at least one value repaired under a policy. */
  readonly rowsRepaired: number;
  readonly bytesRead: number;
  /** Per double-precision column: values a float4 (`real`) column would round. */
  readonly float4Loss: ReadonlyMap<string, { count: number; keys: string[] }>;
  /** Per integer column: values outside int4. */
  readonly int4Overflow: ReadonlyMap<string, { count: number; keys: string[] }>;
  readonly ms: number;
}

/** Loaded rows of one page, for checks against the target (key conflicts). */
export interface ConvertedPage {
  readonly keys: string[];
  readonly outcomes: RowOutcome[];
}

export interface ProfileOptions {
  readonly file: string;
  readonly pageRows: number;
  readonly pageBytes: number;
  readonly reporter: Reporter;
  readonly findings: FindingCollector;
  readonly onPage?: (page: ConvertedPage) => Promise<void>;
}

/**
 * Runs every row of a table through the converters `migrate` uses, without
 * writing anything, and counts what would be repaired or rejected.
 */
export async function profileTable(db: Database.Database, compiled: CompiledTable, opts: ProfileOptions): Promise<TableProfile> {
  const started = Date.now();
  const table = compiled.spec.source;
  const floatCols = compiled.selectColumns
    .map((name, i) => ({ name, i: i + 1, spec: compiled.spec.columns.find((c) => c.name === name) }))
    .filter((c) => c.spec?.type === 'double precision');
  const intCols = compiled.selectColumns
    .map((name, i) => ({ name, i: i + 1, spec: compiled.spec.columns.find((c) => c.name === name) }))
    .filter((c) => c.spec?.type === 'bigint');
  const float4Loss = new Map<string, { count: number; keys: string[] }>();
  const int4Overflow = new Map<string, { count: number; keys: string[] }>();
  const note = (m: Map<string, { count: number; keys: string[] }>, col: string, raw: readonly SourceValue[]): void => {
    const e = m.get(col) ?? { count: 0, keys: [] };
    e.count++;
    if (e.keys.length < 5) e.keys.push(compiled.keyOf(raw));
    m.set(col, e);
  };

  let rowsRead = 0;
  let rowsRejected = 0;
  let rowsRepaired = 0;
  let bytesRead = 0;
  for (const page of readPages(db, table, compiled.selectColumns, { maxRows: opts.pageRows, maxBytes: opts.pageBytes })) {
    const keys: string[] = [];
    const outcomes: RowOutcome[] = [];
    for (const raw of page.rows) {
      const out = compiled.convertRow(raw);
      rowsRead++;
      const key = out.reject === null && out.repairs.length === 0 ? null : compiled.keyOf(raw);
      if (out.reject !== null) {
        rowsRejected++;
        opts.findings.add({ file: opts.file, table, column: out.reject.column, kind: out.reject.kind, action: 'reject', message: out.reject.message, key });
        continue;
      }
      if (out.repairs.length > 0) {
        rowsRepaired++;
        for (const r of out.repairs) {
          opts.findings.add({ file: opts.file, table, column: r.column, kind: r.kind, action: 'repair', message: r.message, key });
        }
      }
      for (const c of floatCols) {
        const v = raw[c.i] as SourceValue;
        if (typeof v === 'number' && Number.isFinite(v) && Math.fround(v) !== v) note(float4Loss, c.name, raw);
      }
      for (const c of intCols) {
        const v = raw[c.i] as SourceValue;
        if (typeof v === 'bigint' && (v > 2147483647n || v < -2147483648n)) note(int4Overflow, c.name, raw);
      }
      if (opts.onPage !== undefined) {
        keys.push(compiled.keyOf(raw));
        outcomes.push(out);
      }
    }
    bytesRead += page.bytes;
    if (opts.onPage !== undefined && outcomes.length > 0) await opts.onPage({ keys, outcomes });
    opts.reporter.emit('table:rows', { file: opts.file, table, done: rowsRead, bytes: bytesRead });
  }
  return { rowsRead, rowsRejected, rowsRepaired, bytesRead, float4Loss, int4Overflow, ms: Date.now() - started };
}
