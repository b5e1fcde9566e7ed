import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureManifest } from '../../../../fixtures/generate.js';
import type { MergeRule, TableSpec, TargetType } from '../../../../src/mapping/schema.js';
import { rawTextReader } from '../../../../src/source/read.js';
import type { MigrateReport } from '../../../../src/report/migrate-report.js';
import { compileTable } from '../../../../src/tables/row-converter.js';
import { timeZoneOffsetFn } from '../../../../src/tables/timestamp.js';
import { valueText } from '../../../../src/tables/value.js';
import { formatKey } from '../../../../src/util/keys.js';
import { makeInstance, withCopy } from '../../../helpers/fixtures.js';
import { mappings, migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * The second instance. Instance a (legacy layout) and b (consolidated, older
 * continuum schema) share agents, domains, buckets, patterns, position and
 * population ids. The expected target is computed here from the two SQLite
 * sources: each row through the converters (tested on their own), then the
 * table's declared policy applied by this file's own model of it, never by
 * the tool's merge SQL. The target must equal the model, row for row.
 */

type Row = Record<string, string | null>;
type Value = string | null;

interface Instance {
  readonly name: string;
  readonly m: FixtureManifest;
}

interface TableModel {
  readonly spec: TableSpec;
  readonly keyCols: readonly string[];
  readonly types: ReadonlyMap<string, TargetType>;
  /** Rows by natural key; tables keyed only by an autoincrement id are a plain list. */
  readonly byKey: Map<string, Row>;
  readonly list: Row[];
  readonly surrogate: string | null;
  readonly keyIsSurrogate: boolean;
}

const target = (spec: TableSpec, source: string): string =>
  spec.columns.find((c) => c.name === source)?.target ?? source;

/** Every source row of an instance that converts, per target table, in the order migrate loads them (file path order). */
function sourceRows(inst: Instance): Map<string, { spec: TableSpec; rows: Row[] }[]> {
  const out = new Map<string, { spec: TableSpec; rows: Row[] }[]>();
  const tasks = Object.keys(inst.m.rowCounts)
    .map((k) => k.split(':') as [string, string])
    .filter(([, table]) => mappings.bySource.has(table))
    .sort((x, y) => x[0].localeCompare(y[0]));
  for (const [file, table] of tasks) {
    const spec = mappings.bySource.get(table)?.table as TableSpec;
    const rows = withCopy(inst.m.dir, file, (db) => {
      const cols = (db.prepare(`PRAGMA table_xinfo("${table}")`).all() as { name: string; hidden: bigint }[])
        .filter((c) => Number(c.hidden) === 0)
        .map((c) => c.name);
      const compiled = compileTable(spec, cols, {
        offsetOf: timeZoneOffsetFn('UTC'),
        fetchRaw: rawTextReader(db, table),
      });
      const select = compiled.selectColumns.map((c) => `"${c}"`).join(', ');
      const result: Row[] = [];
      for (const raw of db
        .prepare(`SELECT rowid, ${select} FROM "${table}" ORDER BY rowid`)
        .raw(true)
        .iterate() as IterableIterator<never[]>) {
        const out = compiled.convertRow(raw);
        if (out.reject !== null) continue;
        const row: Row = {};
        compiled.targetColumns.forEach((c, i) => {
          const v = out.values[i];
          row[c] = Buffer.isBuffer(v)
            ? v.toString('hex')
            : typeof v === 'string'
              ? v
              : typeof v === 'number' || typeof v === 'bigint'
                ? valueText(v)
                : null;
        });
        // A column the source lacks takes the target's declared default.
        for (const c of spec.columns)
          if (!(target(spec, c.name) in row)) row[target(spec, c.name)] = literalDefault(c.default, c.type);
        result.push(row);
      }
      return result;
    });
    const list = out.get(spec.target) ?? [];
    list.push({ spec, rows });
    out.set(spec.target, list);
  }
  return out;
}

/** The value of a literal column default (the aragora set only declares literals for columns a source can lack). */
function literalDefault(expr: string | undefined, type: TargetType): Value {
  if (expr === undefined) return null;
  if (/^-?\d+(\.\d+)?$/.test(expr)) return type === 'double precision' ? String(Number(expr)) : expr;
  if (expr === 'true' || expr === 'false') return expr === 'true' ? 't' : 'f';
  const quoted = /^'((?:[^']|'')*)'(::\w+)?$/.exec(expr);
  if (quoted !== null) return (quoted[1] ?? '').replaceAll("''", "'");
  throw new Error(`the test cannot model the default ${expr}`);
}

function emptyModel(spec: TableSpec): TableModel {
  const surrogate = spec.surrogateKey === undefined ? null : target(spec, spec.surrogateKey);
  const keyCols = spec.key.map((k) => target(spec, k));
  return {
    spec,
    keyCols,
    // A column the target fills itself (insights.search_vector, by trigger) is verify's to check, not this model's.
    types: new Map(
      spec.columns.filter((c) => c.verifyEquals === undefined).map((c) => [target(spec, c.name), c.type] as const),
    ),
    byKey: new Map(),
    list: [],
    surrogate,
    keyIsSurrogate: surrogate !== null && keyCols.length === 1 && keyCols[0] === surrogate,
  };
}

const num = (v: Value): number => Number(v);
const isNull = (v: Value): v is null => v === null;

/** One merge rule, from the existing row `t` and the incoming row `s` (both before the merge). */
function applyRule(model: TableModel, col: string, rule: MergeRule, t: Row, s: Row): Value {
  const tv = t[col] ?? null;
  const sv = s[col] ?? null;
  const type = model.types.get(col);
  const name = typeof rule === 'string' ? rule : rule.rule;
  const weight =
    typeof rule === 'string' || !('weight' in rule) || rule.weight === undefined
      ? null
      : target(model.spec, rule.weight);
  switch (name) {
    case 'sum':
      if (isNull(tv) && isNull(sv)) return null;
      return type === 'bigint'
        ? String(BigInt(tv ?? '0') + BigInt(sv ?? '0'))
        : String((isNull(tv) ? 0 : num(tv)) + (isNull(sv) ? 0 : num(sv)));
    case 'max':
    case 'min': {
      if (isNull(tv)) return sv;
      if (isNull(sv)) return tv;
      const cmp =
        type === 'bigint' || type === 'double precision'
          ? Math.sign(num(tv) - num(sv))
          : tv < sv
            ? -1
            : tv > sv
              ? 1
              : 0;
      return (name === 'max') === cmp >= 0 ? tv : sv;
    }
    case 'union': {
      if (isNull(tv)) return sv;
      if (isNull(sv)) return tv;
      const a = JSON.parse(tv) as unknown;
      const b = JSON.parse(sv) as unknown;
      if (!Array.isArray(a) || !Array.isArray(b)) return sv;
      const seen = new Set(a.map((x) => JSON.stringify(x)));
      return JSON.stringify([...a, ...b.filter((x) => !seen.has(JSON.stringify(x)))]);
    }
    case 'weighted-mean': {
      if (weight === null) return sv;
      const tw = isNull(tv) ? 0 : num(t[weight] ?? '0');
      const sw = isNull(sv) ? 0 : num(s[weight] ?? '0');
      if (tw + sw === 0) return sv ?? tv;
      return String(((isNull(tv) ? 0 : num(tv) * tw) + (isNull(sv) ? 0 : num(sv) * sw)) / (tw + sw));
    }
    case 'merge-keys': {
      const a = tv === null ? null : (JSON.parse(tv) as unknown);
      const b = sv === null ? null : (JSON.parse(sv) as unknown);
      const isObj = (x: unknown): x is Record<string, unknown> =>
        typeof x === 'object' && x !== null && !Array.isArray(x);
      if (!isObj(a)) return sv ?? tv;
      if (!isObj(b)) return tv;
      const tw = weight === null ? 0 : num(t[weight] ?? '0');
      const sw = weight === null ? 0 : num(s[weight] ?? '0');
      const merged: Record<string, unknown> = { ...a };
      for (const [k, v] of Object.entries(b)) {
        const old = a[k];
        merged[k] =
          k in a && weight !== null && typeof old === 'number' && typeof v === 'number' && tw + sw > 0
            ? (old * tw + v * sw) / (tw + sw)
            : v;
      }
      return JSON.stringify(merged);
    }
    case 'keep':
      return tv;
    default:
      return sv;
  }
}

/** Applies one incoming row under the table's declared conflict policy. */
function applyRow(model: TableModel, s: Row, instance: string): void {
  if (model.keyIsSurrogate) {
    model.list.push(s);
    return;
  }
  const key = formatKey(model.keyCols.map((k) => s[k]));
  const t = model.byKey.get(key);
  if (t === undefined) {
    model.byKey.set(key, s);
    return;
  }
  const policy = model.spec.conflict;
  const nonKey = Object.keys(s).filter((c) => !model.keyCols.includes(c) && c !== model.surrogate);
  switch (policy.policy) {
    case 'keep-existing':
    case 'fail':
      return;
    case 'overwrite':
      for (const c of nonKey) t[c] = s[c] ?? null;
      return;
    case 'newest': {
      const col = target(model.spec, policy.column);
      const tv = t[col] ?? null;
      const sv = s[col] ?? null;
      if ((tv === null && sv !== null) || (tv !== null && sv !== null && sv > tv))
        for (const c of nonKey) t[c] = s[c] ?? null;
      return;
    }
    case 'merge': {
      const next: Row = {};
      for (const [source, rule] of Object.entries(policy.columns)) {
        const c = target(model.spec, source);
        if (c in s) next[c] = applyRule(model, c, rule, t, s);
      }
      Object.assign(t, next);
      return;
    }
    case 'keep-both': {
      const k = model.keyCols[0] as string;
      let n = 1;
      let id = `${key}~${instance}`;
      while (model.byKey.has(id)) id = `${key}~${instance}~${++n}`;
      model.byKey.set(id, { ...s, [k]: id });
      return;
    }
  }
}

/**
 * A row whose application foreign key (the mapping's `enforce` keys) points to
 * no row of the referenced table, once that table holds this instance's rows
 * too: the key exists in the target since an earlier instance's run added it,
 * so the row is rejected. The first instance's orphans are kept instead (the
 * key is added NOT VALID after its load).
 */
function orphanUnderKey(
  models: ReadonlyMap<string, TableModel>,
  keyed: ReadonlySet<string>,
  spec: TableSpec,
  row: Row,
): boolean {
  if (!keyed.has(spec.target)) return false;
  return spec.foreignKeys.some((fk) => {
    if (!fk.enforce) return false;
    const parent = mappings.bySource.get(fk.references.table)?.table as TableSpec;
    const value = fk.columns.map((c) => row[target(spec, c)] ?? null);
    if (value.some((v) => v === null)) return false;
    return !(models.get(parent.target)?.byKey.has(formatKey(value)) ?? false);
  });
}

function expectedTarget(order: readonly Instance[]): Map<string, TableModel> {
  const models = new Map<string, TableModel>();
  const keyed = new Set<string>();
  for (const inst of order) {
    // Referenced tables load first.
    const depth = ([, parts]: [string, { spec: TableSpec }[]]): number =>
      parts.some((p) => p.spec.foreignKeys.some((fk) => fk.enforce)) ? 1 : 0;
    const tables = [...sourceRows(inst)].sort((x, y) => depth(x) - depth(y));
    for (const [tgt, parts] of tables) {
      for (const part of parts) {
        const model = models.get(tgt) ?? emptyModel(part.spec);
        models.set(tgt, model);
        for (const r of part.rows)
          if (!orphanUnderKey(models, keyed, part.spec, r)) applyRow(model, { ...r }, inst.name);
      }
    }
    for (const [tgt, parts] of tables) if (depth([tgt, parts]) > 0) keyed.add(tgt);
  }
  return models;
}

/** A value in one comparable form: numbers by value, JSON by content, timestamps as the converter prints them. */
function norm(type: TargetType | undefined, v: Value): unknown {
  if (v === null) return null;
  if (type === 'double precision') return Number(v);
  if (type === 'jsonb') return sortJson(JSON.parse(v));
  return v;
}

function sortJson(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortJson);
  if (typeof x === 'object' && x !== null)
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .map((k) => [k, sortJson((x as Record<string, unknown>)[k])]),
    );
  return x;
}

async function actualRows(url: string, model: TableModel): Promise<Row[]> {
  return withPg(url, async (c) => {
    const cols = [...model.types.keys()];
    const exprs = cols.map((col) => {
      const q = `"${col}"`;
      const t = model.types.get(col);
      if (t === 'timestamptz') return `to_char(${q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`;
      if (t === 'boolean') return `CASE WHEN ${q} THEN 't' WHEN NOT ${q} THEN 'f' END`;
      if (t === 'bytea') return `encode(${q}, 'hex')`;
      return `${q}::text`;
    });
    const r = await c.query({ text: `SELECT ${exprs.join(', ')} FROM "${model.spec.target}"`, rowMode: 'array' });
    return (r.rows as Value[][]).map((vals) => Object.fromEntries(cols.map((col, i) => [col, vals[i] ?? null])));
  });
}

/** Rows in comparable form, without the autoincrement id (re-assigned ids are compared through the ledger instead). */
function comparable(model: TableModel, rows: readonly Row[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(
        [...model.types.keys()].filter((c) => c !== model.surrogate).map((c) => norm(model.types.get(c), r[c] ?? null)),
      ),
    )
    .sort();
}

async function expectTargetEquals(url: string, models: Map<string, TableModel>): Promise<void> {
  for (const [tgt, model] of models) {
    const actual = await actualRows(url, model);
    const expected = model.keyIsSurrogate ? model.list : [...model.byKey.values()];
    expect(actual.length, `${tgt}: row count`).toBe(expected.length);
    expect(comparable(model, actual), tgt).toEqual(comparable(model, expected));
  }
}

/** Every source row read is loaded, merged with a recorded resolution, or rejected. */
async function expectAccounted(url: string, report: MigrateReport): Promise<void> {
  for (const t of report.tables)
    expect(t.rowsRead, `${t.source.file} ${t.source.table}`).toBe(t.rowsLoaded + t.rowsRejected + t.rowsMerged);
  await withPg(url, async (c) => {
    const r = await c.query<{
      source_file: string;
      source_table: string;
      merged: string;
      rejected: string;
      resolved: string;
      rejects: string;
    }>(
      `SELECT t.source_file, t.source_table, t.rows_merged AS merged, t.rows_rejected AS rejected,
              (SELECT count(*) FROM aragora_migrate.conflicts c WHERE c.run_id = t.run_id AND c.source_file = t.source_file AND c.source_table = t.source_table AND c.outcome <> 'kept-both') AS resolved,
              (SELECT count(*) FROM aragora_migrate.rejects x WHERE x.run_id = t.run_id AND x.source_file = t.source_file AND x.source_table = t.source_table) AS rejects
         FROM aragora_migrate.run_tables t WHERE t.run_id = $1`,
      [report.runId],
    );
    for (const x of r.rows) {
      expect(x.resolved, `${x.source_file} ${x.source_table}: a resolution per merged row`).toBe(x.merged);
      expect(x.rejects, `${x.source_file} ${x.source_table}: a ledger reject per rejected row`).toBe(x.rejected);
    }
  });
}

const a: Instance = { name: 'inst-a', m: makeInstance({ layout: 'legacy', instance: 'a' }) };
const b: Instance = { name: 'inst-b', m: makeInstance({ layout: 'consolidated', instance: 'b', oldContinuum: true }) };

describe('a second instance merges into tables the first one filled', () => {
  let db: TestDatabase;
  let ra: MigrateReport;
  let rb: MigrateReport;
  beforeAll(async () => {
    db = await createTestDatabase('merge_ab');
    ra = await migrate(a.m.dir, db.url, { instance: a.name });
    rb = await migrate(b.m.dir, db.url, { instance: b.name });
  });
  afterAll(async () => db.drop());

  it('the aragora set declares the defaults the issue asks for', () => {
    const conflict = (t: string): unknown => mappings.bySource.get(t)?.table.conflict;
    expect(conflict('ratings')).toMatchObject({
      policy: 'merge',
      columns: {
        wins: 'sum',
        losses: 'sum',
        draws: 'sum',
        debates_count: 'sum',
        updated_at: 'max',
        elo: { rule: 'weighted-mean', weight: 'debates_count' },
        domain_elos: { rule: 'merge-keys', weight: 'debates_count' },
      },
    });
    expect(conflict('pattern_clusters')).toMatchObject({
      policy: 'merge',
      columns: { occurrence_count: 'sum', debate_ids: 'union', first_seen: 'min', last_seen: 'max' },
    });
    expect(mappings.bySource.get('matches')?.table.key).toEqual(['debate_id']);
    expect(conflict('active_population')).toMatchObject({ policy: 'keep-existing', warn: true });
    for (const t of ['positions', 'detected_flips', 'populations'])
      expect(conflict(t), t).toMatchObject({ policy: 'keep-both' });
  });

  it('the target equals the model of both sources under the declared policies, and every row is accounted for', async () => {
    expect(ra.state).toBe('loaded');
    expect(rb.state).toBe('loaded');
    expect(rb.tables.reduce((n, t) => n + t.rowsMerged, 0)).toBeGreaterThan(0);
    await expectTargetEquals(db.url, expectedTarget([a, b]));
    await expectAccounted(db.url, ra);
    await expectAccounted(db.url, rb);
  });

  it('keeps colliding position and population ids as distinct rows, re-keyed and recorded', async () => {
    await withPg(db.url, async (c) => {
      const r = await c.query<{
        target_table: string;
        row_key: string;
        target_key: string;
        before_row: Record<string, unknown>;
        incoming_row: Record<string, unknown>;
      }>(
        "SELECT target_table, row_key, target_key, before_row, incoming_row FROM aragora_migrate.conflicts WHERE run_id = $1 AND outcome = 'kept-both'",
        [rb.runId],
      );
      const tables = new Set(r.rows.map((x) => x.target_table));
      expect(tables.has('positions') && tables.has('populations')).toBe(true);
      for (const x of r.rows) {
        expect(x.target_key).toBe(`${x.row_key}~${b.name}`);
        const pk = x.target_table === 'populations' ? 'population_id' : 'id';
        const both = await c.query(`SELECT 1 FROM "${x.target_table}" WHERE "${pk}" IN ($1, $2)`, [
          x.row_key,
          x.target_key,
        ]);
        expect(both.rowCount, `${x.target_table} ${x.row_key}`).toBe(2);
        expect(x.before_row[pk]).toBe(x.row_key);
      }
    });
  });

  it('keeps the first active population and warns about the second', () => {
    const f = rb.findings.find((x) => x.table === 'active_population' && x.kind === 'key_conflict');
    expect(f?.message).toMatch(/^WARNING, review/);
  });

  it('verify after b exits 0', () => {
    expect(rb.verification?.ok).toBe(true);
    expect(rb.verification?.tables.every((t) => t.sourceDigest === t.targetDigest)).toBe(true);
  });

  it('rerunning b is a no-op; b under another instance name is refused; into another schema, b loads', async () => {
    const again = await migrate(b.m.dir, db.url, { instance: b.name });
    expect(again.state).toBe('noop');
    await expect(migrate(b.m.dir, db.url, { instance: 'inst-b-renamed' })).rejects.toMatchObject({
      code: 'RUN_ALREADY_LOADED',
      exitCode: 5,
      message: expect.stringContaining('into schema public') as unknown,
    });
    // A trial run into a scratch schema holds other tables: the same files load there, whole.
    await withPg(db.url, (c) => c.query('CREATE SCHEMA trial'));
    const trial = await migrate(b.m.dir, db.url, { instance: 'inst-b-renamed', schema: 'trial' });
    expect(trial.state).toBe('loaded');
    expect(trial.verification?.ok).toBe(true);
    expect(trial.tables.reduce((n, t) => n + t.rowsLoaded, 0)).toBeGreaterThan(0);
  });
});

describe('b before a', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('merge_ba');
  });
  afterAll(async () => db.drop());

  it('gives the model of the opposite order: order-free policies agree with a-then-b, keep-existing and keep-both favour the first instance', async () => {
    const rb = await migrate(b.m.dir, db.url, { instance: b.name });
    const ra = await migrate(a.m.dir, db.url, { instance: a.name });
    expect(rb.state).toBe('loaded');
    expect(ra.verification?.ok).toBe(true);
    const ba = expectedTarget([b, a]);
    await expectTargetEquals(db.url, ba);
    // Counters add up whatever the order.
    const ab = expectedTarget([a, b]);
    const sums = (models: Map<string, TableModel>): string[] =>
      [...(models.get('elo_ratings')?.byKey.values() ?? [])]
        .map((r) => `${r.agent_name}:${r.wins}:${r.losses}:${r.draws}:${r.debates_count}`)
        .sort();
    expect(sums(ba)).toEqual(sums(ab));
  });
});
