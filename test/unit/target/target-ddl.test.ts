import { describe, expect, it } from 'vitest';
import { TableSpecSchema, type TableSpec } from '../../../src/mapping/schema.js';
import { appForeignKeys, createIndexSql, createTableSql, triggerSql } from '../../../src/target/target-ddl.js';

/**
 * The parts of src/target/target-ddl.ts that need no server: which foreign keys
 * the tool creates, under which names, and that every name reaching the DDL is
 * quoted. That the DDL runs and yields the right table is
 * test/integration/target/target-ddl.test.ts.
 */

function table(t: Record<string, unknown>): TableSpec {
  return TableSpecSchema.parse(t);
}

const parent = table({
  source: 'debates',
  target: 'app_debates',
  key: ['id'],
  columns: [{ name: 'id', target: 'debate_id', type: 'text', nullable: false }],
});

function child(foreignKeys: unknown[], extra: Record<string, unknown> = {}): TableSpec {
  return table({
    source: 'votes',
    target: 'app_votes',
    key: ['id'],
    columns: [
      { name: 'id', type: 'text', nullable: false },
      { name: 'debate', target: 'debate_ref', type: 'text' },
      { name: 'round', type: 'bigint' },
    ],
    foreignKeys,
    ...extra,
  });
}

const bySource = new Map([
  ['debates', { table: parent }],
  ['votes', { table: child([]) }],
]);

describe('appForeignKeys', () => {
  it('gives an enforced key in target table and column names, named as PostgreSQL names an inline REFERENCES', () => {
    const fks = appForeignKeys(
      child([
        { columns: ['debate'], references: { table: 'debates', columns: ['id'] }, enforce: true, onDelete: 'cascade' },
      ]),
      bySource,
    );
    expect(fks).toEqual([
      {
        name: 'app_votes_debate_ref_fkey',
        table: 'app_votes',
        columns: ['debate_ref'],
        parent: 'app_debates',
        parentColumns: ['debate_id'],
        onDelete: 'cascade',
      },
    ]);
  });

  it('leaves out a key that is only profiled, and one whose parent the set does not map', () => {
    const fks = appForeignKeys(
      child([
        { columns: ['debate'], references: { table: 'debates', columns: ['id'] } },
        { columns: ['debate'], references: { table: 'elsewhere', columns: ['id'] }, enforce: true },
      ]),
      bySource,
    );
    expect(fks).toEqual([]);
  });

  it('joins the columns of a composite key in the name, and keeps it within 63 bytes', () => {
    const [fk] = appForeignKeys(
      child([
        { columns: ['debate', 'round'], references: { table: 'votes', columns: ['debate', 'round'] }, enforce: true },
      ]),
      bySource,
    );
    expect(fk).toMatchObject({
      name: 'app_votes_debate_ref_round_fkey',
      columns: ['debate_ref', 'round'],
      parent: 'app_votes',
      parentColumns: ['debate_ref', 'round'],
      onDelete: undefined,
    });
    const long = child([{ columns: ['debate'], references: { table: 'debates', columns: ['id'] }, enforce: true }], {
      target: 'a'.repeat(60),
    });
    expect(appForeignKeys(long, bySource)[0]?.name).toHaveLength(63);
  });
});

describe('DDL text', () => {
  const odd = table({
    source: 'odd',
    target: 'my "odd" table',
    key: ['the id'],
    columns: [
      { name: 'the id', type: 'text', nullable: false },
      { name: 'n', target: 'a "b"', type: 'bigint' },
    ],
    indexes: [{ name: 'ix "n"', columns: ['n DESC'] }],
    triggers: [
      {
        name: 'trg "x"',
        timing: 'BEFORE',
        events: ['INSERT', 'UPDATE'],
        function: { name: 'fn "x"', language: 'plpgsql', body: 'BEGIN RETURN NEW; END;' },
      },
    ],
  });

  it('quotes every schema, table, column, index, trigger and function name', () => {
    const table = createTableSql('s "1"', odd);
    expect(table).toMatch(/^CREATE TABLE IF NOT EXISTS "s ""1"""\."my ""odd"" table" \(/);
    expect(table).toContain('"the id" text NOT NULL');
    expect(table).toContain('"a ""b""" bigint');
    expect(table).toContain('PRIMARY KEY ("the id")');
    expect(createIndexSql('s "1"', odd)).toEqual([
      'CREATE INDEX IF NOT EXISTS "ix ""n""" ON "s ""1"""."my ""odd"" table" ("a ""b""" DESC)',
    ]);
    const [fn, drop, create] = triggerSql('s "1"', odd.target, odd.triggers[0] as TableSpec['triggers'][number]);
    expect(fn).toMatch(
      /^CREATE OR REPLACE FUNCTION "s ""1"""."fn ""x"""\(\) RETURNS trigger LANGUAGE plpgsql AS \$aragora_migrate\$BEGIN RETURN NEW; END;\$aragora_migrate\$$/,
    );
    expect(drop).toBe('DROP TRIGGER IF EXISTS "trg ""x""" ON "s ""1"""."my ""odd"" table"');
    expect(create).toBe(
      'CREATE TRIGGER "trg ""x""" BEFORE INSERT OR UPDATE ON "s ""1"""."my ""odd"" table" FOR EACH ROW EXECUTE FUNCTION "s ""1"""."fn ""x"""()',
    );
  });
});
