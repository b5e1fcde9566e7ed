import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FixtureManifest } from '../../../../fixtures/generate.js';
import { loadConfig } from '../../../../src/config/load-config.js';
import { loadBuiltinMappingSet } from '../../../../src/mapping/load.js';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import type { PlanReport } from '../../../../src/report/plan-report.js';
import { fingerprint } from '../../../helpers/files.js';
import { formatKey } from '../../../../src/util/keys.js';
import { makeInstance, naturalKey, withCopy } from '../../../helpers/fixtures.js';

const mappings = loadBuiltinMappingSet();
/** Value quirks: each must come back as a finding with the same kind, place and key. */
const VALUE_KINDS = new Set([
  'nul_byte',
  'invalid_utf8',
  'json_nonfinite',
  'json_nul',
  'json_invalid',
  'timestamp_unparseable',
  'type_mismatch',
  'null_key',
  'fk_orphan',
]);

/** Kinds of value quirks that reject their row. */
const REJECT_KINDS = new Set(['json_invalid', 'timestamp_unparseable', 'type_mismatch', 'null_key']);

/**
 * Rows whose parent row (by a foreign key of the mapping) is a planted reject:
 * the parent never reaches the target, so they point to nothing there either.
 */
function childrenOfRejectedParents(m: FixtureManifest, file: string, table: string): string[] {
  const spec = mappings.bySource.get(table)?.table;
  if (spec === undefined) return [];
  const out: string[] = [];
  for (const fk of spec.foreignKeys) {
    const parents = m.quirks
      .filter((q) => q.file === file && q.table === fk.references.table && REJECT_KINDS.has(q.kind) && q.key !== null)
      .map((q) => q.key as string);
    if (parents.length === 0 || fk.columns.length !== 1) continue;
    const col = fk.columns[0] as string;
    out.push(
      ...withCopy(m.dir, file, (db) =>
        (
          db
            .prepare(
              `SELECT rowid, ${spec.key.map((k) => `"${k}"`).join(', ')} FROM "${table}" WHERE "${col}" IN (SELECT value FROM json_each(?))`,
            )
            .raw(true)
            .all(JSON.stringify(parents)) as unknown[][]
        ).map((r) => formatKey(r.slice(1), r[0] as bigint)),
      ),
    );
  }
  return out;
}

function checkQuirks(m: FixtureManifest, report: PlanReport): void {
  const groups = new Map<
    string,
    { file: string; table: string; column: string | null; kind: string; keys: string[] }
  >();
  for (const q of m.quirks.filter((x) => VALUE_KINDS.has(x.kind))) {
    const id = JSON.stringify([q.file, q.table, q.column, q.kind]);
    const g = groups.get(id) ?? { file: q.file, table: q.table, column: q.column, kind: q.kind, keys: [] };
    g.keys.push(naturalKey(m.dir, mappings, q.file, q.table, q.key ?? ''));
    groups.set(id, g);
  }
  expect(groups.size).toBeGreaterThan(8);
  for (const g of groups.values()) {
    if (g.kind === 'fk_orphan')
      g.keys.push(...childrenOfRejectedParents(m, g.file, g.table).filter((k) => !g.keys.includes(k)));
    const found = report.findings.filter(
      (f) =>
        f.file === g.file
        && f.table === g.table
        && f.kind === g.kind
        && (g.kind === 'null_key' || f.column === g.column),
    );
    expect(found, JSON.stringify(g)).toHaveLength(1);
    const f = found[0];
    expect(f?.count, JSON.stringify(g)).toBe(g.keys.length);
    for (const k of g.keys.slice(0, 5)) expect(f?.exampleKeys, JSON.stringify(g)).toContain(k);
    const expectedAction = ['nul_byte', 'invalid_utf8', 'json_nonfinite', 'json_nul'].includes(g.kind)
      ? 'repair'
      : g.kind === 'fk_orphan'
        ? 'keep'
        : 'reject';
    expect(f?.action, JSON.stringify(g)).toBe(expectedAction);
  }
}

describe.each([
  { layout: 'legacy' as const, instance: 'a' as const },
  { layout: 'consolidated' as const, instance: 'b' as const },
])('plan on a $layout fixture (instance $instance)', ({ layout, instance }) => {
  const m = makeInstance({ layout, instance });
  const before = fingerprint(m.dir);
  const listing = readdirSync(m.dir).sort();
  const report = runPlan({ config: loadConfig({ dataDir: m.dir, instance }, {}), mappings });

  it('reports every injected quirk with its kind, table, column, count and example key', async () => {
    checkQuirks(m, await report);
  });

  it('exits 3: the fixtures hold rows that cannot load', async () => {
    const r = await report;
    expect(r.exitCode).toBe(3);
    const rejected = r.tables.reduce((n, t) => n + t.rowsRejected, 0);
    const rejectQuirks = m.quirks.filter((q) =>
      ['json_invalid', 'timestamp_unparseable', 'type_mismatch', 'null_key'].includes(q.kind),
    ).length;
    expect(rejected).toBe(rejectQuirks);
  });

  it('counts rows that exist only in the -wal file', async () => {
    const r = await report;
    expect(Object.keys(m.walOnlyRows).length).toBeGreaterThan(0);
    for (const [fileTable, rows] of Object.entries(m.rowCounts)) {
      const [file, table] = fileTable.split(':') as [string, string];
      const t = r.tables.find((x) => x.source.file === file && x.source.table === table);
      if (t === undefined || t.target === null) continue;
      expect(t.rowsRead, fileTable).toBe(rows);
    }
    const wal = r.findings.filter((f) => f.kind === 'wal_pending');
    expect(wal.map((f) => f.file).sort()).toEqual(
      [...new Set(Object.keys(m.walOnlyRows).map((k) => k.split(':')[0]))].sort(),
    );
  });

  it('skips FTS5 tables, their shadow tables and _schema_versions, each with a reason', async () => {
    const r = await report;
    const skipped = r.tables.filter((t) => t.status === 'skipped');
    expect(skipped.some((t) => t.source.table === 'memory_fts' && /fts5/.test(t.reason ?? ''))).toBe(true);
    expect(skipped.filter((t) => t.source.table.startsWith('memory_fts_')).length).toBe(5);
    expect(
      skipped
        .filter((t) => t.source.table === '_schema_versions')
        .every((t) => /Aragora creating/.test(t.reason ?? '')),
    ).toBe(true);
    expect(
      r.tables.some(
        (t) => t.target !== null && (t.source.table === '_schema_versions' || t.source.table.startsWith('memory_fts')),
      ),
    ).toBe(false);
  });

  it('reports the non-SQLite and the zero-byte file without failing the rest', async () => {
    const r = await report;
    expect(
      r.findings
        .filter((f) => f.kind === 'not_sqlite')
        .map((f) => f.file)
        .sort(),
    ).toEqual(['empty.db', 'notes.db']);
    expect(r.files.find((f) => f.path === 'empty.db')?.status).toBe('empty');
  });

  it('classifies each file by its tables and layout', async () => {
    const r = await report;
    for (const f of r.files.filter((x) => x.status === 'ok')) expect(f.layout).toBe(layout);
    const stores = new Set(r.files.flatMap((f) => f.stores));
    expect([...stores].sort()).toEqual([
      'consensus',
      'continuum',
      'elo',
      'genesis',
      'insights',
      'personas',
      'positions',
    ]);
  });

  it('leaves the source files byte-identical, with no new -wal or -shm', async () => {
    await report;
    expect(readdirSync(m.dir).sort()).toEqual(listing);
    expect(fingerprint(m.dir)).toEqual(before);
  });

  if (instance === 'b') {
    it('fills the columns an older continuum schema lacks, and says so', async () => {
      const r = await report;
      const missing = r.findings.filter((f) => f.kind === 'missing_column' && f.table === 'continuum_memory');
      expect(missing.map((f) => f.column).sort()).toEqual(['expires_at', 'red_line', 'red_line_reason']);
      expect(missing.every((f) => f.action === 'repair')).toBe(true);
    });
  }
});
