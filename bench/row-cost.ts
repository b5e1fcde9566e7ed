/**
 * npm run bench:rows -- [--rows 1.5m] [--sample 100000] [--passes 4]
 *
 * What each step of the load costs per row, on one thread that does nothing
 * else: reading a page from SQLite, converting the row, its row digest for
 * verify, and its COPY text. The full benchmark (run.ts) times the whole
 * load, where the conversion workers and PostgreSQL share two cores and each
 * step costs about twice as much; these figures are steadier, for comparing
 * one version of a step with the next. The steps ending `per row` run
 * together, each row taken through all of them before the next, as the load
 * does (the digest then reuses what the converter's JSON check printed,
 * src/tables/pg-text.ts), and are not counted in the sum: `text:` is a table
 * sent as COPY text with the text form's row digest, `binary:` the same table
 * sent in COPY's binary format with the row hash over the bytes sent
 * (src/target/binary-copy.ts), which is how the load sends both benchmark
 * tables in a UTF8 database.
 */
import Database from 'better-sqlite3';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBuiltinMappingSet } from '../src/mapping/load.js';
import type { TableSpec } from '../src/mapping/schema.js';
import { comparedColumns, digestPlan, RowDigest } from '../src/pipeline/shared/digest-plan.js';
import { BinaryCopyBuffer } from '../src/target/binary-copy.js';
import { PageReader } from '../src/source/read.js';
import { columnCanon } from '../src/tables/canonical.js';
import { compileTable, type CompiledTable } from '../src/tables/row-converter.js';
import { timeZoneOffsetFn } from '../src/tables/timestamp.js';
import { printNumbers, type SourceValue } from '../src/tables/value.js';
import { pgTypeName } from '../src/target/target-state.js';
import { CopyBuffer } from '../src/target/copy-encode.js';
import { ensureBenchSource } from './generate.js';
import { parseRows } from './options.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

interface Table {
  readonly file: string;
  readonly spec: TableSpec;
  readonly compiled: CompiledTable;
  readonly types: readonly string[];
  readonly rows: readonly SourceValue[][];
  readonly db: Database.Database;
}

function openTable(dir: string, file: string, source: string, sample: number): Table {
  const spec = loadBuiltinMappingSet().bySource.get(source)?.table;
  if (spec === undefined) throw new Error(`no mapping for ${source}`);
  const db = new Database(join(dir, file), { readonly: true });
  const sourceColumns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(source) as string[];
  const compiled = compileTable(spec, sourceColumns, { offsetOf: timeZoneOffsetFn('UTC'), fetchRaw: () => null });
  const types = compiled.targetColumns.map((c) => {
    const col = spec.columns.find((x) => (x.target ?? x.name) === c);
    return col === undefined ? 'text' : pgTypeName(col.type);
  });
  const rows = [
    ...(new PageReader(db, source, compiled.selectColumns, { sliceable: compiled.sliceable }).read(sample, 2 ** 50)
      ?.rows ?? []),
  ];
  return { file, spec, compiled, types, rows, db };
}

/** µs per row of `step` over the table's sample, best of `passes`. */
function time(t: Table, passes: number, step: () => void): number {
  let best = Infinity;
  for (let p = 0; p < passes; p++) {
    const started = process.hrtime.bigint();
    step();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e3 / t.rows.length);
  }
  return best;
}

function steps(t: Table): Record<string, () => void> {
  const canons = t.compiled.targetColumns.map((c, i) => columnCanon(c, t.types[i] as string));
  const plan = digestPlan({
    spec: t.spec,
    sourceColumns: t.compiled.selectColumns,
    sourceTimezone: 'UTC',
    targetColumns: t.compiled.targetColumns,
    compared: t.compiled.targetColumns,
    canons,
    binary: null,
  });
  const typeOf = new Map(t.compiled.targetColumns.map((c, i) => [c, t.types[i] as string] as const));
  const binaryPlan = digestPlan({
    spec: t.spec,
    sourceColumns: t.compiled.selectColumns,
    sourceTimezone: 'UTC',
    targetColumns: t.compiled.targetColumns,
    ...comparedColumns(t.spec, t.compiled.targetColumns, typeOf, true),
  });
  if (binaryPlan.copyKinds === null) throw new Error(`${t.spec.source} has a column binary COPY does not carry`);
  const converted = t.rows.map((r) => t.compiled.convertRow(r).values);
  const out: Record<string, () => void> = {
    read: () => {
      const reader = new PageReader(t.db, t.spec.source, t.compiled.selectColumns, { sliceable: t.compiled.sliceable });
      for (let n = 0; n < t.rows.length;)
        n += reader.read(Math.min(250, t.rows.length - n), 2 ** 50)?.rows.length ?? t.rows.length;
    },
    convert: () => {
      for (const r of t.rows) t.compiled.convertRow(r);
    },
    'row digest': () => {
      const d = new RowDigest(plan);
      for (const v of converted) d.add(v);
    },
    // As the load runs them: each row digested right after it is converted.
    'convert, then row digest, per row': () => {
      const d = new RowDigest(plan);
      for (const r of t.rows) d.add(t.compiled.convertRow(r).values);
    },
    // The whole of the load's per-row work after reading, text COPY against binary COPY.
    'text: convert, row digest, COPY text, per row': () => {
      const d = new RowDigest(plan);
      let b = new CopyBuffer(4 << 20);
      for (const r of t.rows) {
        const v = t.compiled.convertRow(r).values;
        printNumbers(v);
        d.add(v);
        if (b.length > 3 << 20) b = new CopyBuffer(4 << 20);
        b.writeRow(v);
      }
    },
    'binary: convert, COPY binary and its row hash, per row': () => {
      const d = new RowDigest(binaryPlan);
      const kinds = binaryPlan.copyKinds ?? [];
      let b = new BinaryCopyBuffer(kinds, 0, 4 << 20);
      for (const r of t.rows) {
        if (b.length > 3 << 20) b = new BinaryCopyBuffer(kinds, 0, 4 << 20);
        d.addHash(b.writeRow(t.compiled.convertRow(r).values));
      }
    },
    'COPY text': () => {
      let b = new CopyBuffer(4 << 20);
      for (const v of converted) {
        if (b.length > 3 << 20) b = new CopyBuffer(4 << 20);
        b.writeRow(v);
      }
    },
  };
  return out;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1.5m' },
      sample: { type: 'string', default: '100000' },
      passes: { type: 'string', default: '4' },
    },
  });
  const source = ensureBenchSource(join(BENCH_DIR, '.data'), parseRows(values.rows, 42));
  const sample = Number(values.sample);
  const passes = Number(values.passes);
  for (const [file, table] of [
    ['continuum_memory.db', 'continuum_memory'],
    ['agent_elo.db', 'matches'],
  ] as const) {
    const t = openTable(source.dir, file, table, sample);
    process.stdout.write(`${table}: ${t.rows.length.toLocaleString('en-US')} rows, µs per row (best of ${passes})\n`);
    let sum = 0;
    for (const [name, step] of Object.entries(steps(t))) {
      const us = time(t, passes, step);
      if (!name.endsWith('per row')) sum += us;
      process.stdout.write(`  ${name.padEnd(58)} ${us.toFixed(2).padStart(6)}\n`);
    }
    process.stdout.write(`  ${'read + convert + row digest + COPY text'.padEnd(58)} ${sum.toFixed(2).padStart(6)}\n`);
    t.db.close();
  }
}

main();
