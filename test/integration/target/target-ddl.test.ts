import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableSpecSchema, type TableSpec } from '../../../src/mapping/schema.js';
import {
  appForeignKeys,
  createIndexSql,
  addKeysSql,
  createTableSql,
  hasPrimaryKey,
  ensureForeignKey,
  prepareTargetTable,
  triggerSql,
  type AppForeignKey,
} from '../../../src/target/target-ddl.js';
import { inspectTarget, MISSING_TABLE } from '../../../src/target/target-state.js';
import { qualified, quoteIdent } from '../../../src/util/quote.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/**
 * The DDL the tool runs on the target (src/target/target-ddl.ts), run on a real
 * PostgreSQL and read back from the catalog: the columns, keys, indexes,
 * triggers and foreign keys a mapping asks for, under names holding quotes and
 * spaces. Every test makes its own tables (a suffix), so none depends on another.
 */

const SCHEMA = 'app "schema" x';

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('target_ddl');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${quoteIdent(SCHEMA)}`);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

interface Catalog {
  readonly columns: Record<string, { type: string; notNull: boolean; default: string | null }>;
  /** Constraint name → its definition (pg_get_constraintdef). */
  readonly constraints: Record<string, string>;
  readonly validated: Record<string, boolean>;
  /** Index name → its definition (pg_get_indexdef). */
  readonly indexes: Record<string, string>;
  readonly triggers: Record<string, string>;
}

/** The table as the catalog has it, looked up by name (no quoting involved). */
async function catalog(table: string): Promise<Catalog | null> {
  const rel = await client.query<{ oid: number }>(
    'SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
    [SCHEMA, table],
  );
  const oid = rel.rows[0]?.oid;
  if (oid === undefined) return null;
  const cols = await client.query<{ name: string; type: string; notnull: boolean; def: string | null }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const cons = await client.query<{ name: string; def: string; validated: boolean }>(
    'SELECT conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS validated FROM pg_constraint WHERE conrelid = $1',
    [oid],
  );
  const idx = await client.query<{ name: string; def: string }>(
    'SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1',
    [oid],
  );
  const trg = await client.query<{ name: string; def: string }>(
    'SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal',
    [oid],
  );
  return {
    columns: Object.fromEntries(cols.rows.map((c) => [c.name, { type: c.type, notNull: c.notnull, default: c.def }])),
    constraints: Object.fromEntries(cons.rows.map((c) => [c.name, c.def])),
    validated: Object.fromEntries(cons.rows.map((c) => [c.name, c.validated])),
    indexes: Object.fromEntries(idx.rows.map((c) => [c.name, c.def])),
    triggers: Object.fromEntries(trg.rows.map((c) => [c.name, c.def])),
  };
}

const SEARCH_BODY = `
BEGIN
  NEW.search := to_tsvector('simple', COALESCE(NEW.label, ''));
  RETURN NEW;
END;
`;

/** A parent table in the style of the shipped mappings: defaults, a unique label, indexes, a trigger. */
function parentSpec(suffix: string): TableSpec {
  return TableSpecSchema.parse({
    source: 'parents',
    target: `parent "table" ${suffix}`,
    key: ['id'],
    unique: [['label'], ['id']],
    columns: [
      { name: 'id', target: 'the id', type: 'text', nullable: false },
      { name: 'label', type: 'text', nullable: false, default: "'unnamed'" },
      { name: 'score', type: 'double precision', default: '0.5' },
      { name: 'created', type: 'timestamptz', default: 'now()' },
      { name: 'meta', type: 'jsonb', default: "'{}'::jsonb" },
      { name: 'hits', type: 'bigint' },
      { name: 'search', type: 'tsvector', targetOnly: true },
    ],
    indexes: [
      { name: `idx "score" ${suffix}`, columns: ['score DESC'] },
      { name: `idx meta ${suffix}`, columns: ['meta'], using: 'gin' },
      { name: `idx two ${suffix}`, columns: ['label', 'created DESC'] },
    ],
    triggers: [
      {
        name: `fill "search" ${suffix}`,
        timing: 'BEFORE',
        events: ['INSERT', 'UPDATE'],
        function: { name: `fill search ${suffix}`, language: 'plpgsql', body: SEARCH_BODY },
      },
    ],
  });
}

/** A child with an autoincrement id and an enforced, cascading key to the parent. */
function childSpec(suffix: string, idType: 'bigint' | 'integer' = 'bigint'): TableSpec {
  return TableSpecSchema.parse({
    source: 'children',
    target: `child table ${suffix}`,
    key: ['debate_id'],
    primaryKey: ['id'],
    surrogateKey: 'id',
    columns: [
      { name: 'id', type: idType, nullable: false },
      { name: 'debate_id', type: 'text', nullable: false },
      { name: 'parent', target: 'parent ref', type: 'text' },
    ],
    foreignKeys: [
      { columns: ['parent'], references: { table: 'parents', columns: ['id'] }, enforce: true, onDelete: 'cascade' },
    ],
  });
}

async function createAll(spec: TableSpec): Promise<void> {
  await client.query(createTableSql(SCHEMA, spec));
  for (const sql of createIndexSql(SCHEMA, spec)) await client.query(sql);
  for (const t of spec.triggers) for (const sql of triggerSql(SCHEMA, spec.target, t)) await client.query(sql);
}

/** The parent and child of `suffix`, created, and the child's enforced key. */
async function family(suffix: string): Promise<{ parent: TableSpec; child: TableSpec; fk: AppForeignKey }> {
  const parent = parentSpec(suffix);
  const child = childSpec(suffix);
  await createAll(parent);
  await createAll(child);
  const fks = appForeignKeys(
    child,
    new Map([
      ['parents', { table: parent }],
      ['children', { table: child }],
    ]),
  );
  expect(fks).toHaveLength(1);
  return { parent, child, fk: fks[0] as AppForeignKey };
}

describe('createTableSql', () => {
  it('creates the columns with their types, NOT NULL and defaults, the primary key and the unique constraints', async () => {
    const spec = parentSpec('t1');
    await client.query(createTableSql(SCHEMA, spec));
    const c = await catalog(spec.target);
    expect(c?.columns).toEqual({
      'the id': { type: 'text', notNull: true, default: null },
      label: { type: 'text', notNull: true, default: "'unnamed'::text" },
      score: { type: 'double precision', notNull: false, default: '0.5' },
      created: { type: 'timestamp with time zone', notNull: false, default: 'now()' },
      meta: { type: 'jsonb', notNull: false, default: "'{}'::jsonb" },
      hits: { type: 'bigint', notNull: false, default: null },
      search: { type: 'tsvector', notNull: false, default: null },
    });
    // The unique constraint equal to the primary key is not declared twice.
    expect(Object.values(c?.constraints ?? {}).sort()).toEqual(['PRIMARY KEY ("the id")', 'UNIQUE (label)']);
  });

  it('without its keys, then addKeysSql: the same table, the same constraint names', async () => {
    const spec = parentSpec('t keys');
    await client.query(createTableSql(SCHEMA, spec));
    const inline = await catalog(spec.target);
    await client.query(`DROP TABLE ${qualified(SCHEMA, spec.target)}`);
    await client.query(createTableSql(SCHEMA, spec, false));
    expect((await catalog(spec.target))?.constraints).toEqual({});
    expect(await hasPrimaryKey(client, SCHEMA, spec.target)).toBe(false);
    await client.query(addKeysSql(SCHEMA, spec));
    expect(await catalog(spec.target)).toEqual(inline);
    expect(await hasPrimaryKey(client, SCHEMA, spec.target)).toBe(true);
  });

  it('is idempotent: a second run leaves the table as it is', async () => {
    const spec = parentSpec('t2');
    await client.query(createTableSql(SCHEMA, spec));
    const before = await catalog(spec.target);
    await client.query(createTableSql(SCHEMA, spec));
    expect(await catalog(spec.target)).toEqual(before);
  });

  it('makes an autoincrement id a serial the target fills: bigserial for bigint, serial for integer', async () => {
    for (const idType of ['bigint', 'integer'] as const) {
      const spec = childSpec(`t3 ${idType}`, idType);
      await client.query(createTableSql(SCHEMA, spec));
      const c = await catalog(spec.target);
      expect(c?.columns.id).toEqual({
        type: idType,
        notNull: true,
        default: expect.stringMatching(/^nextval\('.*_id_seq"?'::regclass\)$/) as unknown,
      });
      expect(Object.values(c?.constraints ?? {})).toEqual(['PRIMARY KEY (id)']);
      const table = qualified(SCHEMA, spec.target);
      const ids = await client.query<{ id: string }>(
        `INSERT INTO ${table} (debate_id) VALUES ('d1'), ('d2') RETURNING id::text AS id`,
      );
      expect(ids.rows.map((r) => r.id)).toEqual(['1', '2']);
    }
  });
});

describe('createIndexSql', () => {
  it('creates each index with its method and column order, under target column names; idempotent', async () => {
    const spec = parentSpec('i1');
    await client.query(createTableSql(SCHEMA, spec));
    for (let run = 0; run < 2; run++) for (const sql of createIndexSql(SCHEMA, spec)) await client.query(sql);
    const indexes = (await catalog(spec.target))?.indexes ?? {};
    expect(Object.keys(indexes).sort()).toEqual(
      ['idx "score" i1', 'idx meta i1', 'idx two i1', `${spec.target}_label_key`, `${spec.target}_pkey`].sort(),
    );
    expect(indexes['idx "score" i1']).toMatch(/USING btree \(score DESC\)$/);
    expect(indexes['idx meta i1']).toMatch(/USING gin \(meta\)$/);
    expect(indexes['idx two i1']).toMatch(/USING btree \(label, created DESC\)$/);
  });
});

describe('triggerSql', () => {
  it('creates the function and a trigger that fills its column on insert and update; running it again keeps one trigger', async () => {
    const spec = parentSpec('g1');
    await client.query(createTableSql(SCHEMA, spec));
    const trigger = spec.triggers[0] as TableSpec['triggers'][number];
    for (let run = 0; run < 2; run++)
      for (const sql of triggerSql(SCHEMA, spec.target, trigger)) await client.query(sql);
    const triggers = (await catalog(spec.target))?.triggers ?? {};
    expect(Object.keys(triggers)).toEqual(['fill "search" g1']);
    expect(triggers['fill "search" g1']).toMatch(
      /BEFORE INSERT OR UPDATE ON .* FOR EACH ROW EXECUTE FUNCTION .*"fill search g1"\(\)$/,
    );
    const table = qualified(SCHEMA, spec.target);
    await client.query(`INSERT INTO ${table} ("the id", label) VALUES ('a', 'hello world')`);
    expect((await client.query(`SELECT search::text AS s FROM ${table}`)).rows).toEqual([{ s: "'hello':1 'world':2" }]);
    await client.query(`UPDATE ${table} SET label = 'bye'`);
    expect((await client.query(`SELECT search::text AS s FROM ${table}`)).rows).toEqual([{ s: "'bye':1" }]);
  });
});

describe('ensureForeignKey', () => {
  it('adds a key with no orphan validated, cascading as the mapping says, and does nothing the second time', async () => {
    const { parent, child, fk } = await family('f1');
    const p = qualified(SCHEMA, parent.target);
    const c = qualified(SCHEMA, child.target);
    await client.query(`INSERT INTO ${p} ("the id", label) VALUES ('p1', 'one'), ('p2', 'two')`);
    await client.query(`INSERT INTO ${c} (debate_id, "parent ref") VALUES ('d1', 'p1'), ('d2', 'p2'), ('d3', NULL)`);

    expect(await ensureForeignKey(client, SCHEMA, fk)).toEqual({
      name: `${child.target}_parent ref_fkey`,
      table: child.target,
      parent: parent.target,
      orphans: 0,
      validated: true,
    });
    const cat = await catalog(child.target);
    expect(cat?.constraints[fk.name]).toMatch(
      /^FOREIGN KEY \("parent ref"\) REFERENCES .*"parent ""table"" f1"\("the id"\) ON DELETE CASCADE$/,
    );
    expect(cat?.validated[fk.name]).toBe(true);

    expect(await ensureForeignKey(client, SCHEMA, fk)).toBeNull();
    await client.query(`DELETE FROM ${p} WHERE "the id" = 'p1'`);
    expect(
      (await client.query(`SELECT debate_id FROM ${c} ORDER BY 1`)).rows.map((r: { debate_id: string }) => r.debate_id),
    ).toEqual(['d2', 'd3']);
  });

  it('keeps orphans under a NOT VALID key that checks every new row, and validates it once they are gone', async () => {
    const { parent, child, fk } = await family('f2');
    const p = qualified(SCHEMA, parent.target);
    const c = qualified(SCHEMA, child.target);
    await client.query(`INSERT INTO ${p} ("the id", label) VALUES ('p1', 'one')`);
    await client.query(`INSERT INTO ${c} (debate_id, "parent ref") VALUES ('d1', 'p1'), ('d2', 'gone'), ('d3', NULL)`);

    expect(await ensureForeignKey(client, SCHEMA, fk)).toEqual({
      name: fk.name,
      table: child.target,
      parent: parent.target,
      orphans: 1,
      validated: false,
    });
    expect((await catalog(child.target))?.validated[fk.name]).toBe(false);
    expect((await client.query(`SELECT count(*)::int AS n FROM ${c}`)).rows).toEqual([{ n: 3 }]);
    await expect(
      client.query(`INSERT INTO ${c} (debate_id, "parent ref") VALUES ('d4', 'nowhere')`),
    ).rejects.toMatchObject({ code: '23503' });

    // Still orphans: nothing new to report, the key stays as it is.
    expect(await ensureForeignKey(client, SCHEMA, fk)).toBeNull();
    await client.query(`DELETE FROM ${c} WHERE "parent ref" = 'gone'`);
    expect(await ensureForeignKey(client, SCHEMA, fk)).toEqual({
      name: fk.name,
      table: child.target,
      parent: parent.target,
      orphans: 0,
      validated: true,
    });
    expect((await catalog(child.target))?.validated[fk.name]).toBe(true);
  });

  it('leaves a table alone that has the key already under another name (the application made it)', async () => {
    const { parent, child, fk } = await family('f3');
    await client.query(
      `ALTER TABLE ${qualified(SCHEMA, child.target)} ADD CONSTRAINT "app's own fk" FOREIGN KEY ("parent ref") REFERENCES ${qualified(SCHEMA, parent.target)} ("the id")`,
    );
    expect(await ensureForeignKey(client, SCHEMA, fk)).toBeNull();
    expect(Object.keys((await catalog(child.target))?.constraints ?? {}).sort()).toEqual(
      ["app's own fk", `${child.target}_pkey`].sort(),
    );
  });

  it('does nothing when the referenced table is absent', async () => {
    const child = childSpec('f4');
    await createAll(child);
    const fk: AppForeignKey = {
      name: 'x_fkey',
      table: child.target,
      columns: ['parent ref'],
      parent: 'no such parent',
      parentColumns: ['the id'],
      onDelete: undefined,
    };
    expect(await ensureForeignKey(client, SCHEMA, fk)).toBeNull();
    expect(Object.keys((await catalog(child.target))?.constraints ?? {})).toEqual([`${child.target}_pkey`]);
  });
});

describe('prepareTargetTable', () => {
  it('creates a missing table with its triggers', async () => {
    const spec = parentSpec('p1');
    const state = (await inspectTarget(client, SCHEMA, [spec.target])).get(spec.target) ?? MISSING_TABLE;
    const prepared = await prepareTargetTable(client, SCHEMA, spec, state, []);
    expect(prepared).toEqual({ created: true, addedColumns: [], widened: [], addedTriggers: ['fill "search" p1'] });
    expect(Object.keys((await catalog(spec.target))?.triggers ?? {})).toEqual(['fill "search" p1']);
  });

  it('adds to an existing table the columns and triggers it lacks, widens what it is asked to, and drops nothing', async () => {
    const spec = parentSpec('p2');
    const table = qualified(SCHEMA, spec.target);
    await client.query(
      `CREATE TABLE ${table} ("the id" text PRIMARY KEY, label text NOT NULL, score real, hits integer, app_only text)`,
    );
    await client.query(`INSERT INTO ${table} VALUES ('a', 'x', 1.5, 7, 'kept')`);
    const state = (await inspectTarget(client, SCHEMA, [spec.target])).get(spec.target) ?? MISSING_TABLE;
    const widen = [{ table: spec.target, column: 'hits', from: 'integer', to: 'bigint' as const }];
    const prepared = await prepareTargetTable(client, SCHEMA, spec, state, widen);
    expect(prepared).toEqual({
      created: false,
      addedColumns: ['created', 'meta', 'search'],
      widened: widen,
      addedTriggers: ['fill "search" p2'],
    });
    const c = await catalog(spec.target);
    expect(Object.fromEntries(Object.entries(c?.columns ?? {}).map(([k, v]) => [k, v.type]))).toEqual({
      'the id': 'text',
      label: 'text',
      score: 'real',
      hits: 'bigint',
      app_only: 'text',
      created: 'timestamp with time zone',
      meta: 'jsonb',
      search: 'tsvector',
    });
    expect(c?.columns.meta?.default).toBe("'{}'::jsonb");
    expect((await client.query(`SELECT "the id", hits::text, app_only, meta FROM ${table}`)).rows).toEqual([
      { 'the id': 'a', hits: '7', app_only: 'kept', meta: {} },
    ]);
  });
});
