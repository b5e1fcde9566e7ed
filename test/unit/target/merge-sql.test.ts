import { describe, expect, it } from 'vitest';
import { TableSpecSchema, type Conflict, type TableSpec } from '../../../src/mapping/schema.js';
import { conflictSql, mergeExpression, rekeyedTextKey } from '../../../src/target/merge-sql.js';
import { recordConflictsSql } from '../../../src/ledger/conflicts.js';

/**
 * The SQL each conflict policy generates, read as text: which columns an
 * update writes, which it never touches, what the ledger records as policy and
 * outcome, and how names are quoted. What the SQL does to real rows is
 * test/integration/target/merge-sql.test.ts.
 */

function spec(conflict: unknown, extra: Record<string, unknown> = {}): TableSpec {
  return TableSpecSchema.parse({
    source: 'items',
    target: 'items',
    key: ['id'],
    columns: [
      { name: 'id', type: 'text', nullable: false },
      { name: 'name', type: 'text' },
      { name: 'score', type: 'double precision' },
      { name: 'updated_at', type: 'timestamptz' },
    ],
    conflict,
    ...extra,
  });
}

const ALL = ['id', 'name', 'score', 'updated_at'];

function sqlFor(
  s: TableSpec,
  columns: readonly string[] = ALL,
  key: readonly string[] = ['id'],
): ReturnType<typeof conflictSql> {
  return conflictSql(s, s.conflict, '"public"."items"', 'pg_temp."stage"', columns, key);
}

/** The `col = expr` assignments of an UPDATE … SET … FROM, by column. */
function assignments(update: string | null): Map<string, string> {
  const set = /\bSET (.*) FROM /s.exec(update ?? '')?.[1] ?? '';
  const out = new Map<string, string>();
  for (const m of set.matchAll(/(?:^|, )"((?:[^"]|"")+)" = (s\."(?:[^"]|"")+")/g))
    out.set((m[1] as string).replaceAll('""', '"'), m[2] as string);
  return out;
}

describe('conflictSql', () => {
  it('overwrite: the incoming row replaces every column but the key, on the key', () => {
    const sql = sqlFor(spec({ policy: 'overwrite' }));
    expect(assignments(sql.update)).toEqual(
      new Map([
        ['name', 's."name"'],
        ['score', 's."score"'],
        ['updated_at', 's."updated_at"'],
      ]),
    );
    expect(sql.update).toMatch(/WHERE t\."id" = s\."id"$/);
    expect(recordConflictsSql(sql.collisions)).toContain(`'overwrite', 'overwritten'`);
  });

  it('overwrite never writes the surrogate id the target assigned, nor a key column', () => {
    const s = TableSpecSchema.parse({
      source: 'm',
      target: 'm',
      key: ['debate_id'],
      primaryKey: ['id'],
      surrogateKey: 'id',
      columns: [
        { name: 'id', type: 'bigint', nullable: false },
        { name: 'debate_id', type: 'text', nullable: false },
        { name: 'winner', type: 'text' },
      ],
      conflict: { policy: 'overwrite' },
    });
    const sql = conflictSql(s, s.conflict, '"m"', '"s"', ['id', 'debate_id', 'winner'], ['debate_id']);
    expect([...assignments(sql.update).keys()]).toEqual(['winner']);
  });

  it('overwrite of a table that is all key has nothing to update', () => {
    const s = spec({ policy: 'overwrite' });
    expect(sqlFor(s, ['id']).update).toBeNull();
  });

  it('newest: updates only where the incoming value is greater, or the existing one is NULL; records the column in the policy', () => {
    const sql = sqlFor(spec({ policy: 'newest', column: 'updated_at' }));
    expect([...assignments(sql.update).keys()]).toEqual(['name', 'score', 'updated_at']);
    expect(sql.update).toContain(
      `AND ((t."updated_at" IS NULL AND s."updated_at" IS NOT NULL) OR s."updated_at" > t."updated_at")`,
    );
    expect(recordConflictsSql(sql.collisions)).toContain(`'newest:updated_at', CASE WHEN`);
    expect(recordConflictsSql(sql.collisions)).toMatch(/THEN 'incoming-newer' ELSE 'kept-existing' END/);
  });

  it('merge: each listed column by its rule, under its target name, and only columns the stage has', () => {
    const s = spec(
      { policy: 'merge', columns: { score: 'sum', name: 'keep', updated_at: 'max' } },
      {
        columns: [
          { name: 'id', type: 'text', nullable: false },
          { name: 'name', type: 'text' },
          { name: 'score', target: 'total score', type: 'double precision' },
          { name: 'updated_at', type: 'timestamptz' },
        ],
      },
    );
    const sql = conflictSql(s, s.conflict, '"items"', '"stage"', ['id', 'name', 'total score'], ['id']);
    expect(sql.update).toContain(`"total score" = ${mergeExpression('total score', 'sum')}`);
    expect(sql.update).toContain(`"name" = t."name"`);
    expect(sql.update).not.toContain('updated_at');
    expect(recordConflictsSql(sql.collisions)).toContain(`'merge', 'merged'`);
  });

  it('merge naming no column of the stage has nothing to update', () => {
    const s = spec({ policy: 'merge', columns: { updated_at: 'max' } });
    expect(sqlFor(s, ['id', 'name']).update).toBeNull();
  });

  const keeping: { conflict: Conflict; outcome: string }[] = [
    { conflict: { policy: 'keep-existing' }, outcome: 'kept-existing' },
    { conflict: { policy: 'keep-existing', warn: true }, outcome: 'kept-existing (review)' },
    { conflict: { policy: 'keep-both' }, outcome: 'kept-existing: id collision, incoming row in the ledger' },
    { conflict: { policy: 'fail' }, outcome: 'kept-existing' },
  ];
  for (const { conflict, outcome } of keeping) {
    it(`${conflict.policy}${'warn' in conflict ? ' (warn)' : ''}: no update, recorded as "${outcome}"`, () => {
      const sql = sqlFor(spec(conflict));
      expect(sql.update).toBeNull();
      expect(recordConflictsSql(sql.collisions)).toContain(`'${conflict.policy}', '${outcome}'`);
    });
  }

  it('records every colliding row with its key, the row before and the incoming row without the stage bookkeeping', () => {
    const sql = sqlFor(spec({ policy: 'overwrite' }));
    expect(recordConflictsSql(sql.collisions)).toMatch(
      /^INSERT INTO aragora_migrate\.conflicts \(run_id, source_file, source_table, source_rowid, target_table, row_key, policy, outcome, before_row, incoming_row\)/,
    );
    expect(recordConflictsSql(sql.collisions)).toContain(`to_jsonb(t.*), to_jsonb(s.*) - '__rowid' - '__key'`);
    expect(recordConflictsSql(sql.collisions)).toMatch(
      /FROM pg_temp\."stage" AS s JOIN "public"\."items" AS t ON t\."id" = s\."id"$/,
    );
    expect(sql.discard).toBe(`DELETE FROM pg_temp."stage" AS s USING "public"."items" AS t WHERE t."id" = s."id"`);
  });

  it('joins on every column of a composite key', () => {
    const sql = sqlFor(spec({ policy: 'keep-existing' }), ALL, ['id', 'name']);
    expect(sql.discard).toMatch(/WHERE t\."id" = s\."id" AND t\."name" = s\."name"$/);
  });

  it('quotes identifiers and literals that hold quotes and spaces', () => {
    const s = TableSpecSchema.parse({
      source: 'x',
      target: 'x',
      key: ['my "id"'],
      columns: [
        { name: 'my "id"', type: 'text', nullable: false },
        { name: "it's when", type: 'timestamptz' },
      ],
      conflict: { policy: 'newest', column: "it's when" },
    });
    const sql = conflictSql(s, s.conflict, '"x"', '"s"', ['my "id"', "it's when"], ['my "id"']);
    expect(sql.update).toContain(`"it's when" = s."it's when"`);
    expect(sql.update).toContain(`t."my ""id""" = s."my ""id"""`);
    expect(recordConflictsSql(sql.collisions)).toContain(`'newest:it''s when'`);
  });
});

describe('mergeExpression', () => {
  it('reads the existing value as t and the incoming one as s, quoted', () => {
    expect(mergeExpression('a"b', 'keep')).toBe('t."a""b"');
    expect(mergeExpression('a"b', 'incoming')).toBe('s."a""b"');
    expect(mergeExpression('n', 'max')).toBe('GREATEST(t."n", s."n")');
    expect(mergeExpression('n', 'min')).toBe('LEAST(t."n", s."n")');
  });

  it('weights a mean and merged keys by the weight column of each side', () => {
    const mean = mergeExpression('elo', { rule: 'weighted-mean', weight: 'games' });
    expect(mean).toContain('t."games"');
    expect(mean).toContain('s."games"');
    const keys = mergeExpression('stats', { rule: 'merge-keys', weight: 'games' });
    expect(keys).toContain('t."games"');
    expect(keys).not.toBe(mergeExpression('stats', 'merge-keys'));
  });
});

describe('rekeyedTextKey', () => {
  it('is the key of a keep-both table with one key column and no surrogate id', () => {
    expect(rekeyedTextKey(spec({ policy: 'keep-both' }))).toBe('id');
  });

  it('is null for a composite key, a surrogate id, or any other policy', () => {
    expect(rekeyedTextKey(spec({ policy: 'keep-both' }, { key: ['id', 'name'] }))).toBeNull();
    expect(
      rekeyedTextKey(
        spec(
          { policy: 'keep-both' },
          {
            key: ['name'],
            primaryKey: ['id'],
            surrogateKey: 'id',
            columns: [
              { name: 'id', type: 'bigint', nullable: false },
              { name: 'name', type: 'text', nullable: false },
            ],
          },
        ),
      ),
    ).toBeNull();
    for (const policy of ['overwrite', 'keep-existing', 'fail']) expect(rekeyedTextKey(spec({ policy }))).toBeNull();
  });
});
