/**
 * npm run bench:rows -- [--rows 1.5m] [--sample 100000] [--passes 4] [--binary-sketch]
 *
 * What each step of the load costs per row, on one thread that does nothing
 * else: reading a page from SQLite, converting the row, its row digest for
 * verify, and its COPY text. The full benchmark (run.ts) times the whole
 * load, where the conversion workers and PostgreSQL share two cores and each
 * step costs about twice as much; these figures are steadier, for comparing
 * one version of a step with the next. `convert, then row digest, per row`
 * runs the two as the load does, each row digested right after it is
 * converted (the digest reuses what the converter's JSON check printed,
 * src/tables/pg-text.ts); it is not counted in the sum.
 *
 * `--binary-sketch` also times a sketch of another encoding (not the
 * tool's): each row as a binary COPY tuple, written once into the payload,
 * with the row digest taken over those bytes, which the server can rebuild
 * from the stored row with each type's send function (docs/performance.md,
 * "What is left"). jsonb still prints its canonical text there, since
 * jsonb_send sends that text.
 */
import Database from 'better-sqlite3';
import { hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBuiltinMappingSet } from '../src/mapping/load.js';
import type { TableSpec } from '../src/mapping/schema.js';
import { digestPlan, RowDigest } from '../src/pipeline/shared/digest-plan.js';
import { PageReader } from '../src/source/read.js';
import { columnCanon } from '../src/tables/canonical.js';
import { checkJson } from '../src/tables/json-text.js';
import { jsonbText } from '../src/tables/pg-text.js';
import { compileTable, type CompiledTable } from '../src/tables/row-converter.js';
import { parseTimestamp, timeZoneOffsetFn } from '../src/tables/timestamp.js';
import type { SourceValue } from '../src/tables/value.js';
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

function steps(t: Table, binarySketch: boolean): Record<string, () => void> {
  const canons = t.compiled.targetColumns.map((c, i) => columnCanon(c, t.types[i] as string));
  const plan = digestPlan({
    spec: t.spec,
    sourceColumns: t.compiled.selectColumns,
    sourceTimezone: 'UTC',
    targetColumns: t.compiled.targetColumns,
    compared: t.compiled.targetColumns,
    canons,
  });
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
    'COPY text': () => {
      let b = new CopyBuffer(4 << 20);
      for (const v of converted) {
        if (b.length > 3 << 20) b = new CopyBuffer(4 << 20);
        b.writeRow(v);
      }
    },
  };
  if (binarySketch) out['sketch: binary tuple + its digest, from the source values'] = () => sketch(t);
  return out;
}

const EPOCH_2000_MS = 946_684_800_000;

/**
 * The binary sketch: each field length-prefixed, numbers and timestamps as
 * their binary values, text as UTF-8, jsonb as version byte and canonical
 * text; the row's hash over its bytes. It checks text for NUL and U+FFFD and
 * JSON as the converters do, and it is not the product: it skips rejects and
 * repairs, and reads naive timestamps as UTC only.
 */
function sketch(t: Table): void {
  const offsetOf = timeZoneOffsetFn('UTC');
  const at = t.compiled.targetColumns.map((c) => t.compiled.selectColumns.indexOf(c) + 1);
  let buf = Buffer.allocUnsafeSlow(4 << 20);
  let len = 0;
  let sum = 0;
  for (const raw of t.rows) {
    const start = len;
    buf.writeInt16BE(at.length, len);
    len += 2;
    for (let j = 0; j < at.length; j++) {
      const v = raw[at[j] as number];
      if (v === null || v === undefined) {
        buf.writeInt32BE(-1, len);
        len += 4;
        continue;
      }
      len = field(buf, len, t.types[j] as string, v, offsetOf);
    }
    sum += parseInt(hash('sha256', buf.subarray(start, len), 'hex').slice(0, 8), 16);
    if (len > 3 << 20) {
      buf = Buffer.allocUnsafeSlow(4 << 20);
      len = 0;
    }
  }
  if (sum < 0) throw new Error('unreachable');
}

function field(
  buf: Buffer,
  at: number,
  type: string,
  v: SourceValue,
  offsetOf: ReturnType<typeof timeZoneOffsetFn>,
): number {
  switch (type) {
    case 'double precision':
      buf.writeInt32BE(8, at);
      buf.writeDoubleBE(Number(v), at + 4);
      return at + 12;
    case 'bigint':
    case 'integer':
      buf.writeInt32BE(8, at);
      buf.writeBigInt64BE(BigInt(v as bigint), at + 4);
      return at + 12;
    case 'boolean':
      buf.writeInt32BE(1, at);
      buf[at + 4] = v === 1n ? 1 : 0;
      return at + 5;
    case 'timestamp with time zone': {
      const p = parseTimestamp(String(v), offsetOf);
      const ms = p.ok ? Date.parse(`${p.value.slice(0, 10)}T${p.value.slice(11, 19)}Z`) : 0;
      buf.writeInt32BE(8, at);
      buf.writeBigInt64BE(BigInt(ms - EPOCH_2000_MS) * 1000n, at + 4);
      return at + 12;
    }
    case 'jsonb': {
      const checked = checkJson(String(v), { nonfinite: true, nul: true });
      buf[at + 4] = 1;
      const n = utf8(buf, jsonbText(checked.ok ? checked.text : '{}'), at + 5);
      buf.writeInt32BE(n + 1, at);
      return at + 5 + n;
    }
    default: {
      if (Buffer.isBuffer(v)) {
        buf.writeInt32BE(v.length, at);
        v.copy(buf, at + 4);
        return at + 4 + v.length;
      }
      const s = String(v);
      if (s.includes('\uFFFD') || s.includes('\0')) throw new Error('the bench source has no such text');
      const n = utf8(buf, s, at + 4);
      buf.writeInt32BE(n, at);
      return at + 4 + n;
    }
  }
}

function utf8(buf: Buffer, s: string, at: number): number {
  return buf.write(s, at, 'utf8');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1.5m' },
      sample: { type: 'string', default: '100000' },
      passes: { type: 'string', default: '4' },
      'binary-sketch': { type: 'boolean', default: false },
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
    for (const [name, step] of Object.entries(steps(t, values['binary-sketch']))) {
      const us = time(t, passes, step);
      if (!name.startsWith('sketch') && !name.includes(', then ')) sum += us;
      process.stdout.write(`  ${name.padEnd(58)} ${us.toFixed(2).padStart(6)}\n`);
    }
    process.stdout.write(`  ${'read + convert + row digest + COPY text'.padEnd(58)} ${sum.toFixed(2).padStart(6)}\n`);
    t.db.close();
  }
}

main();
