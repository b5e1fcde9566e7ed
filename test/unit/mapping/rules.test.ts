import { describe, expect, it } from 'vitest';
import { loadBuiltinMappingSet } from '../../../src/mapping/load.js';
import {
  checkSet,
  checkTable,
  conflictColumnsExist,
  foreignKeysNameColumns,
  foreignKeysResolve,
  fromJsonNamesJsonColumn,
  indexesNameColumns,
  indexNamesUnique,
  keysNameColumns,
  parseIndexEntry,
  primaryKeyNotNullable,
  SET_RULES,
  sourceInOneStore,
  sourceNeverCopied,
  storeNamesUnique,
  surrogateKeyIsInteger,
  TABLE_RULES,
  targetColumnsDistinct,
  targetFedOnce,
  targetFilledColumnsAreTargetOnly,
  targetOnlyHasDefault,
  verbatimOnlyOnText,
  whenMissingFits,
  type LocatedTable,
  type TableRule,
} from '../../../src/mapping/rules.js';
import { TableSpecSchema, type TableSpec } from '../../../src/mapping/schema.js';

/**
 * The cross-field rules of src/mapping/rules.ts, one at a time: a table that
 * keeps a rule passes it, and the same table with one thing broken is refused
 * with a message naming what is wrong, at the path of the offending field. The
 * shipped mappings pass every rule.
 */

const AT = 'tables[0]';
const COLUMN_LIST = 'id, label, score, games, tags, updated_at';

const BASE = {
  source: 'items',
  target: 'items',
  key: ['id'],
  columns: [
    { name: 'id', type: 'text', nullable: false },
    { name: 'label', type: 'text' },
    { name: 'score', type: 'double precision' },
    { name: 'games', type: 'bigint' },
    { name: 'tags', type: 'jsonb' },
    { name: 'updated_at', type: 'timestamptz' },
  ],
};

/** BASE with `patch` applied, through the zod schema (so every default is there). */
function table(patch: Record<string, unknown> = {}): TableSpec {
  return TableSpecSchema.parse({ ...BASE, ...patch });
}

/** BASE with column `name` changed (or added, when absent). */
function withColumn(name: string, change: Record<string, unknown>, patch: Record<string, unknown> = {}): TableSpec {
  const columns = BASE.columns.some((c) => c.name === name)
    ? BASE.columns.map((c) => (c.name === name ? { ...c, ...change } : c))
    : [...BASE.columns, { name, ...change }];
  return table({ columns, ...patch });
}

const error = (path: string, message: string): { path: string; message: string; severity: 'error' } => ({
  path: `${AT}.${path}`,
  message,
  severity: 'error',
});

function passes(rule: TableRule, t: TableSpec): void {
  expect(rule(t, AT)).toEqual([]);
}

describe('table rules', () => {
  it('every rule passes the base table', () => {
    for (const rule of TABLE_RULES)
      expect({ rule: rule.name, problems: rule(table(), AT) }).toEqual({ rule: rule.name, problems: [] });
  });

  it('keysNameColumns: key, primaryKey, surrogateKey and unique name source columns', () => {
    passes(keysNameColumns, table({ key: ['label'], primaryKey: ['id'], unique: [['label', 'score']] }));
    expect(keysNameColumns(table({ key: ['missing'] }), AT)).toEqual([
      error('key[0]', `key names unknown column "missing" (columns: ${COLUMN_LIST})`),
    ]);
    expect(keysNameColumns(table({ primaryKey: ['id', 'nope'] }), AT)).toEqual([
      error('primaryKey[1]', `primaryKey names unknown column "nope" (columns: ${COLUMN_LIST})`),
    ]);
    expect(keysNameColumns(table({ surrogateKey: 'nope' }), AT)).toEqual([
      error('surrogateKey', `surrogateKey names unknown column "nope" (columns: ${COLUMN_LIST})`),
    ]);
    expect(keysNameColumns(table({ unique: [['label'], ['score', 'nope']] }), AT)).toEqual([
      error('unique[1][1]', `unique names unknown column "nope" (columns: ${COLUMN_LIST})`),
    ]);
    expect(keysNameColumns(withColumn('label', { targetOnly: true }, { key: ['label'] }), AT)).toEqual([
      error('key[0]', 'key names "label", a targetOnly column, which has no source value'),
    ]);
  });

  it('indexesNameColumns: every entry is "column [ASC|DESC] [NULLS FIRST|LAST]" on a column of the table', () => {
    passes(
      indexesNameColumns,
      withColumn(
        'search',
        { type: 'tsvector', targetOnly: true },
        { indexes: [{ name: 'ix', columns: ['score DESC NULLS LAST', 'label asc', 'search'] }] },
      ),
    );
    expect(
      indexesNameColumns(table({ indexes: [{ name: 'ix', columns: ['label', 'score DESCENDING'] }] }), AT),
    ).toEqual([
      error('indexes[0].columns[1]', '"score DESCENDING" is not of the form "column [ASC|DESC] [NULLS FIRST|LAST]"'),
    ]);
    expect(indexesNameColumns(table({ indexes: [{ name: 'ix', columns: ['nope DESC'] }] }), AT)).toEqual([
      error('indexes[0].columns[0]', `index "ix" names unknown column "nope" (columns: ${COLUMN_LIST})`),
    ]);
  });

  it('parseIndexEntry: the column of a well-formed entry, nothing for an expression', () => {
    expect(parseIndexEntry('  score desc nulls first ')).toBe('score');
    expect(parseIndexEntry('lower(label)')).toBeUndefined();
    expect(parseIndexEntry('a b')).toBeUndefined();
  });

  it('foreignKeysNameColumns: a foreign key names its own columns, as many as it references', () => {
    passes(
      foreignKeysNameColumns,
      table({ foreignKeys: [{ columns: ['label', 'games'], references: { table: 'whatever', columns: ['a', 'b'] } }] }),
    );
    expect(
      foreignKeysNameColumns(
        table({ foreignKeys: [{ columns: ['nope'], references: { table: 'other', columns: ['id'] } }] }),
        AT,
      ),
    ).toEqual([error('foreignKeys[0].columns[0]', 'foreign key names unknown column "nope"')]);
    expect(
      foreignKeysNameColumns(
        table({ foreignKeys: [{ columns: ['label'], references: { table: 'other', columns: ['a', 'b'] } }] }),
        AT,
      ),
    ).toEqual([error('foreignKeys[0]', 'foreign key has 1 column(s) but references 2')]);
  });

  describe('conflictColumnsExist', () => {
    const allMerged = {
      label: 'incoming',
      score: { rule: 'weighted-mean', weight: 'games' },
      games: 'sum',
      tags: 'union',
      updated_at: 'max',
    };
    const merge = (columns: Record<string, unknown>): TableSpec =>
      table({ conflict: { policy: 'merge', columns: { ...allMerged, ...columns } } });

    it('passes an ordered newest column and a merge of every column by a fitting rule', () => {
      for (const column of ['updated_at', 'score', 'label'])
        passes(conflictColumnsExist, table({ conflict: { policy: 'newest', column } }));
      passes(conflictColumnsExist, merge({}));
      passes(
        conflictColumnsExist,
        merge({ tags: { rule: 'merge-keys', weight: 'score' }, score: 'min', label: 'keep' }),
      );
    });

    it('refuses newest on an unknown or unordered column', () => {
      expect(conflictColumnsExist(table({ conflict: { policy: 'newest', column: 'nope' } }), AT)).toEqual([
        error('conflict.column', `newest names unknown column "nope" (columns: ${COLUMN_LIST})`),
      ]);
      expect(conflictColumnsExist(table({ conflict: { policy: 'newest', column: 'tags' } }), AT)).toEqual([
        error('conflict.column', 'newest needs an ordered column; "tags" is jsonb'),
      ]);
    });

    it('refuses a merge of an unknown column or of a column that identifies the row', () => {
      expect(conflictColumnsExist(merge({ nope: 'sum' }), AT)).toEqual([
        error('conflict.columns.nope', `merge names unknown column "nope" (columns: ${COLUMN_LIST})`),
      ]);
      expect(conflictColumnsExist(merge({ id: 'keep' }), AT)).toEqual([
        error('conflict.columns.id', '"id" identifies the row (key, primaryKey or surrogateKey) and cannot be merged'),
      ]);
    });

    it('refuses a rule the column type does not suit', () => {
      expect(conflictColumnsExist(merge({ label: 'sum' }), AT)).toEqual([
        error('conflict.columns.label', 'sum needs a numeric column; "label" is text'),
      ]);
      expect(conflictColumnsExist(merge({ tags: 'max' }), AT)).toEqual([
        error('conflict.columns.tags', 'max needs an ordered column; "tags" is jsonb'),
      ]);
      expect(conflictColumnsExist(merge({ label: 'union' }), AT)).toEqual([
        error('conflict.columns.label', 'union combines JSON; "label" is text'),
      ]);
      expect(conflictColumnsExist(merge({ label: 'merge-keys' }), AT)).toEqual([
        error('conflict.columns.label', 'merge-keys combines JSON; "label" is text'),
      ]);
      expect(conflictColumnsExist(merge({ label: { rule: 'weighted-mean', weight: 'games' } }), AT)).toEqual([
        error('conflict.columns.label', 'weighted-mean needs a numeric column; "label" is text'),
      ]);
    });

    it('refuses a weight that is missing, unknown or not numeric', () => {
      // The schema requires the weight; a mapping built in code can still omit it.
      const noWeight = {
        ...merge({}),
        conflict: { policy: 'merge', columns: { ...allMerged, score: { rule: 'weighted-mean' } } },
      } as unknown as TableSpec;
      expect(conflictColumnsExist(noWeight, AT)).toEqual([
        error(
          'conflict.columns.score',
          'weighted-mean needs a weight column: { "rule": "weighted-mean", "weight": "<column>" }',
        ),
      ]);
      expect(conflictColumnsExist(merge({ score: { rule: 'weighted-mean', weight: 'nope' } }), AT)).toEqual([
        error('conflict.columns.score.weight', 'weight names unknown column "nope"'),
      ]);
      expect(conflictColumnsExist(merge({ tags: { rule: 'merge-keys', weight: 'label' } }), AT)).toEqual([
        error('conflict.columns.tags.weight', 'weight must be numeric; "label" is text'),
      ]);
    });

    it('warns, without refusing, when a merge leaves columns out', () => {
      expect(conflictColumnsExist(table({ conflict: { policy: 'merge', columns: { games: 'sum' } } }), AT)).toEqual([
        {
          path: `${AT}.conflict.columns`,
          message:
            'merge does not say how to combine "label", "score", "tags", "updated_at"; the existing value is kept',
          severity: 'warning',
        },
      ]);
    });
  });

  it('targetColumnsDistinct: one entry per source column, one source column per target column', () => {
    passes(targetColumnsDistinct, withColumn('label', { target: 'title' }));
    expect(targetColumnsDistinct(table({ columns: [...BASE.columns, { name: 'label', type: 'text' }] }), AT)).toEqual([
      error('columns[6].name', 'column "label" is already listed at columns[1]'),
    ]);
    expect(targetColumnsDistinct(withColumn('label', { target: 'score' }), AT)).toEqual([
      error(
        'columns[2]',
        'target column "score" is already fed by columns[1]; one target column takes one source column',
      ),
    ]);
  });

  it('surrogateKeyIsInteger: the target re-assigns surrogate ids from a sequence', () => {
    passes(surrogateKeyIsInteger, table({ key: ['label'], primaryKey: ['games'], surrogateKey: 'games' }));
    expect(surrogateKeyIsInteger(table({ key: ['label'], surrogateKey: 'id' }), AT)).toEqual([
      error('surrogateKey', 'surrogateKey "id" must be bigint or integer, not text'),
    ]);
  });

  it('verbatimOnlyOnText: verbatim copies text only', () => {
    passes(verbatimOnlyOnText, withColumn('label', { convert: 'verbatim' }));
    expect(verbatimOnlyOnText(withColumn('games', { convert: 'verbatim' }), AT)).toEqual([
      error('columns[3].convert', 'verbatim applies to text columns only; "games" is bigint'),
    ]);
  });

  describe('whenMissingFits', () => {
    it('passes a constant of the column type, null on a nullable column, any scalar on jsonb', () => {
      for (const [name, value] of [
        ['label', ''],
        ['games', 0],
        ['score', null],
        ['tags', 3],
        ['tags', '[]'],
        ['updated_at', '1970-01-01T00:00:00Z'],
      ] as const) {
        passes(whenMissingFits, withColumn(name, { whenMissing: value }));
      }
      passes(whenMissingFits, withColumn('flag', { type: 'boolean', nullable: false, whenMissing: false }));
    });

    it('refuses a constant on a key column, on a targetOnly column, null on NOT NULL, and a value of the wrong type', () => {
      expect(whenMissingFits(withColumn('id', { whenMissing: 'x' }), AT)).toEqual([
        error('columns[0].whenMissing', '"id" identifies the row; a key column cannot be filled with a constant'),
      ]);
      expect(whenMissingFits(withColumn('label', { targetOnly: true, whenMissing: 'x' }), AT)).toEqual([
        error('columns[1].whenMissing', '"label" is targetOnly (never read from SQLite); use default instead'),
      ]);
      expect(whenMissingFits(withColumn('label', { nullable: false, whenMissing: null }), AT)).toEqual([
        error('columns[1].whenMissing', '"label" is not nullable, so whenMissing cannot be null'),
      ]);
      expect(whenMissingFits(withColumn('games', { whenMissing: '0' }), AT)).toEqual([
        error('columns[3].whenMissing', 'whenMissing for bigint column "games" must be a number or null, not "0"'),
      ]);
      expect(whenMissingFits(withColumn('flag', { type: 'boolean', whenMissing: 1 }), AT)).toEqual([
        error('columns[6].whenMissing', 'whenMissing for boolean column "flag" must be a boolean or null, not 1'),
      ]);
    });
  });

  it('primaryKeyNotNullable: primary key columns are NOT NULL', () => {
    passes(primaryKeyNotNullable, table({ key: ['label'], primaryKey: ['id'] }));
    expect(primaryKeyNotNullable(table({ key: ['id', 'label'] }), AT)).toEqual([
      error('columns[1].nullable', '"label" is part of the primary key and must be "nullable": false'),
    ]);
    expect(primaryKeyNotNullable(table({ key: ['id'], primaryKey: ['games'] }), AT)).toEqual([
      error('columns[3].nullable', '"games" is part of the primary key and must be "nullable": false'),
    ]);
  });

  it('targetOnlyHasDefault: a NOT NULL targetOnly column needs a default', () => {
    passes(
      targetOnlyHasDefault,
      withColumn('extra', { type: 'bigint', targetOnly: true, nullable: false, default: '0' }),
    );
    passes(targetOnlyHasDefault, withColumn('extra', { type: 'bigint', targetOnly: true }));
    expect(
      targetOnlyHasDefault(withColumn('extra', { type: 'bigint', targetOnly: true, nullable: false }), AT),
    ).toEqual([error('columns[6]', 'targetOnly column "extra" is NOT NULL and has no default')]);
  });

  it('sourceNeverCopied: _schema_versions, sqlite_* and the memory_fts index are never mapped', () => {
    for (const source of ['memory_ftsx', 'my_schema_versions', 'notsqlite_x'])
      passes(sourceNeverCopied, table({ source }));
    for (const source of ['_schema_versions', 'sqlite_sequence', 'memory_fts', 'memory_fts_data']) {
      expect(sourceNeverCopied(table({ source }), AT)).toEqual([
        error('source', `"${source}" must never be copied (SQLite bookkeeping, _schema_versions or the FTS index)`),
      ]);
    }
  });

  describe('fromJsonNamesJsonColumn', () => {
    const fromTags = (change: Record<string, unknown> = {}, patch: Record<string, unknown> = {}): TableSpec =>
      withColumn('reason', { type: 'text', fromJson: { column: 'tags', key: 'reason' }, ...change }, patch);

    it('passes a loaded text, boolean or number column filled from a key of a jsonb column', () => {
      for (const type of ['text', 'boolean', 'bigint', 'double precision'])
        passes(fromJsonNamesJsonColumn, fromTags({ type }));
    });

    it('refuses a source that is unknown or not a jsonb column read from SQLite', () => {
      expect(fromJsonNamesJsonColumn(fromTags({ fromJson: { column: 'nope', key: 'k' } }), AT)).toEqual([
        error('columns[6].fromJson.column', `fromJson names unknown column "nope" (columns: ${COLUMN_LIST}, reason)`),
      ]);
      expect(fromJsonNamesJsonColumn(fromTags({ fromJson: { column: 'label', key: 'k' } }), AT)).toEqual([
        error('columns[6].fromJson.column', 'fromJson needs a jsonb column read from SQLite; "label" is not one'),
      ]);
      const targetOnlySource = fromTags(
        {},
        {
          columns: [
            ...BASE.columns.map((c) => (c.name === 'tags' ? { ...c, targetOnly: true } : c)),
            { name: 'reason', type: 'text', fromJson: { column: 'tags', key: 'r' } },
          ],
        },
      );
      expect(fromJsonNamesJsonColumn(targetOnlySource, AT)).toEqual([
        error('columns[6].fromJson.column', 'fromJson needs a jsonb column read from SQLite; "tags" is not one'),
      ]);
    });

    it('refuses a targetOnly or key column, and a type a JSON scalar does not convert to', () => {
      expect(fromJsonNamesJsonColumn(fromTags({ targetOnly: true }), AT)).toEqual([
        error('columns[6].fromJson', '"reason" is targetOnly; a column filled from JSON is loaded'),
      ]);
      expect(fromJsonNamesJsonColumn(fromTags({ nullable: false }, { key: ['id', 'reason'] }), AT)).toEqual([
        error('columns[6].fromJson', '"reason" identifies the row and cannot be filled from JSON'),
      ]);
      expect(fromJsonNamesJsonColumn(fromTags({ type: 'timestamptz' }), AT)).toEqual([
        error('columns[6].fromJson', 'a JSON value converts to text, boolean or a number, not timestamptz'),
      ]);
    });
  });

  it('targetFilledColumnsAreTargetOnly: tsvector and verifyEquals columns are the target’s, onDelete needs enforce, a trigger body can be quoted', () => {
    const trigger = (body: string): unknown => ({
      name: 'trg',
      timing: 'BEFORE',
      events: ['INSERT'],
      function: { name: 'fn', language: 'plpgsql', body },
    });
    passes(
      targetFilledColumnsAreTargetOnly,
      withColumn(
        'search',
        { type: 'tsvector', targetOnly: true, verifyEquals: "to_tsvector('english', label)" },
        {
          foreignKeys: [
            { columns: ['label'], references: { table: 'x', columns: ['id'] }, enforce: true, onDelete: 'cascade' },
          ],
          triggers: [trigger('BEGIN RETURN NEW; END;')],
        },
      ),
    );
    expect(targetFilledColumnsAreTargetOnly(withColumn('search', { type: 'tsvector' }), AT)).toEqual([
      error('columns[6].type', '"search" is tsvector, which only the target fills: mark it targetOnly'),
    ]);
    expect(targetFilledColumnsAreTargetOnly(withColumn('label', { verifyEquals: 'upper(id)' }), AT)).toEqual([
      error('columns[1].verifyEquals', 'verifyEquals checks a column the target fills; "label" is loaded from SQLite'),
    ]);
    expect(
      targetFilledColumnsAreTargetOnly(
        table({
          foreignKeys: [{ columns: ['label'], references: { table: 'x', columns: ['id'] }, onDelete: 'cascade' }],
        }),
        AT,
      ),
    ).toEqual([error('foreignKeys[0].onDelete', 'onDelete applies to a key the tool creates: set "enforce": true')]);
    expect(
      targetFilledColumnsAreTargetOnly(table({ triggers: [trigger('BEGIN $aragora_migrate$ END;')] }), AT),
    ).toEqual([error('triggers[0].function.body', 'the body may not contain $aragora_migrate$, which quotes it')]);
  });

  it('checkTable reports what every rule finds, in one pass', () => {
    const broken = withColumn('games', { convert: 'verbatim' }, { key: ['missing'], source: 'sqlite_stat1' });
    expect(checkTable(broken, AT).map((p) => p.path)).toEqual([
      `${AT}.key[0]`,
      `${AT}.columns[3].convert`,
      `${AT}.source`,
    ]);
  });
});

describe('set rules', () => {
  const at = (file: string, store: string, index: number, patch: Record<string, unknown>): LocatedTable => ({
    file,
    store,
    path: `tables[${index}]`,
    table: table(patch),
  });
  const valid: LocatedTable[] = [
    at('a.json', 'a', 0, {
      source: 'parents',
      target: 'parents',
      indexes: [{ name: 'ix_parents', columns: ['label'] }],
    }),
    at('b.json', 'b', 0, {
      source: 'children',
      target: 'children',
      foreignKeys: [{ columns: ['label'], references: { table: 'parents', columns: ['id'] } }],
      indexes: [{ name: 'ix_children', columns: ['label'] }],
    }),
  ];

  it('every rule passes a set whose names are distinct and whose references resolve', () => {
    for (const rule of SET_RULES)
      expect({ rule: rule.name, problems: rule(valid) }).toEqual({ rule: rule.name, problems: [] });
  });

  it('sourceInOneStore: a source table is mapped once', () => {
    const twice = [...valid, at('c.json', 'c', 2, { source: 'parents', target: 'other' })];
    expect(sourceInOneStore(twice)).toEqual([
      {
        file: 'c.json',
        path: 'tables[2].source',
        message: 'source table "parents" is already mapped by store "a" (a.json: tables[0])',
        severity: 'error',
      },
    ]);
  });

  it('targetFedOnce: two source tables may not write one target table', () => {
    const shared = [...valid, at('c.json', 'c', 0, { source: 'orphans', target: 'children' })];
    expect(targetFedOnce(shared)).toEqual([
      {
        file: 'c.json',
        path: 'tables[0].target',
        message: 'target table "children" is already fed by source table "children" (b.json: tables[0])',
        severity: 'error',
      },
    ]);
    // The same source mapped twice is sourceInOneStore's finding, not this one's.
    expect(targetFedOnce([...valid, at('c.json', 'c', 0, { source: 'children', target: 'children' })])).toEqual([]);
  });

  it('foreignKeysResolve: a foreign key references a table of the set, and columns it has', () => {
    const unknownTable = [
      ...valid,
      at('c.json', 'c', 0, {
        source: 'votes',
        foreignKeys: [{ columns: ['label'], references: { table: 'nowhere', columns: ['id'] } }],
      }),
    ];
    expect(foreignKeysResolve(unknownTable)).toEqual([
      {
        file: 'c.json',
        path: 'tables[0].foreignKeys[0].references.table',
        message: 'references table "nowhere", which no mapping of the set has',
        severity: 'error',
      },
    ]);
    const unknownColumn = [
      ...valid,
      at('c.json', 'c', 0, {
        source: 'votes',
        foreignKeys: [{ columns: ['label', 'score'], references: { table: 'parents', columns: ['id', 'nope'] } }],
      }),
    ];
    expect(foreignKeysResolve(unknownColumn)).toEqual([
      {
        file: 'c.json',
        path: 'tables[0].foreignKeys[0].references.columns[1]',
        message: 'references unknown column "parents.nope"',
        severity: 'error',
      },
    ]);
  });

  it('indexNamesUnique: index names are unique across the set (one schema)', () => {
    const clash = [
      ...valid,
      at('c.json', 'c', 0, {
        source: 'votes',
        target: 'votes',
        indexes: [
          { name: 'ok', columns: ['id'] },
          { name: 'ix_parents', columns: ['label'] },
        ],
      }),
    ];
    expect(indexNamesUnique(clash)).toEqual([
      {
        file: 'c.json',
        path: 'tables[0].indexes[1].name',
        message: 'index name "ix_parents" is already used by table "parents"',
        severity: 'error',
      },
    ]);
  });

  it('storeNamesUnique: two files may not share a store name', () => {
    const clash = [...valid, at('c.json', 'a', 0, { source: 'votes', target: 'votes' })];
    expect(storeNamesUnique(clash)).toEqual([
      { file: 'c.json', path: 'name', message: 'store name "a" is already used by a.json', severity: 'error' },
    ]);
  });
});

describe('the shipped aragora mappings', () => {
  const set = loadBuiltinMappingSet();
  const located: LocatedTable[] = set.stores.flatMap((store) =>
    store.tables.map((t, i) => ({ file: `${store.name}.json`, store: store.name, path: `tables[${i}]`, table: t })),
  );

  it('pass every table rule, without a warning', () => {
    expect(located.length).toBeGreaterThan(30);
    for (const t of located)
      expect({ table: t.table.source, problems: checkTable(t.table, t.path) }).toEqual({
        table: t.table.source,
        problems: [],
      });
  });

  it('pass every set rule', () => {
    expect(checkSet(located)).toEqual([]);
  });
});
