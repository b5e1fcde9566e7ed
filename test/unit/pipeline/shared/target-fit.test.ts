import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fitSpec, judgeColumns, narrowColumnValues, widened } from '../../../../src/pipeline/shared/target-fit.js';
import { MISSING_TABLE, type TargetTableState } from '../../../../src/target/target-state.js';
import { tableSpec } from '../../../helpers/table-spec.js';

const spec = tableSpec({
  source: 'ratings',
  target: 'elo_ratings',
  key: ['agent_name'],
  conflict: { policy: 'keep-existing' },
  columns: [
    { name: 'agent_name', type: 'text', nullable: false, targetOnly: false },
    { name: 'elo', type: 'double precision', nullable: true, targetOnly: false },
    { name: 'wins', type: 'bigint', nullable: true, targetOnly: false },
    { name: 'losses', type: 'bigint', nullable: true, targetOnly: false },
    { name: 'extra', type: 'text', nullable: true, targetOnly: false },
    { name: 'severity', type: 'double precision', nullable: true, targetOnly: true, default: '0.0' },
  ],
});

/** The application's table: float4 and int4 where the mapping writes 8-byte types, no `extra`, a NOT NULL `wins`. */
const app: TargetTableState = {
  exists: true,
  columns: new Map([
    ['agent_name', 'text'],
    ['elo', 'real'],
    ['wins', 'integer'],
    ['losses', 'integer'],
    ['severity', 'real'],
  ]),
  notNull: new Set(['agent_name', 'wins']),
  selfFilled: new Set(['severity']),
  foreignKeys: [],
  triggers: new Set(),
  checks: [],
  uniques: [],
  rows: 3,
  bytes: 8192,
};

function source(rows: string): Database.Database {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  db.exec(
    `CREATE TABLE ratings (agent_name TEXT PRIMARY KEY, elo REAL, wins INTEGER, losses INTEGER, extra TEXT); ${rows}`,
  );
  return db;
}

const present = new Set(['agent_name', 'elo', 'wins', 'losses', 'extra']);

describe('judging an existing table by the values it is to hold', () => {
  it('takes int4 and float4 columns when every value fits, rounding floats, and refuses nothing', () => {
    const db = source(`INSERT INTO ratings VALUES ('a', 1523.456789012, 2147483647, -2147483648, NULL)`);
    const values = narrowColumnValues(db, spec, app, present);
    expect(values.outOfReach.size).toBe(0);
    const j = judgeColumns(spec, app, values, false, present);
    expect(j).toEqual({ widen: [], problems: [], rounded: ['elo'] });
  });

  it('refuses an integer past int4 with TARGET_COLUMN_TOO_NARROW and its keys, or widens it with --widen-columns', () => {
    const db = source(
      `INSERT INTO ratings VALUES ('a', 1.5, 3000000000, 1, NULL), ('b', 1.5, 1, -3000000000, NULL), ('c', 1.5, 1, 1, NULL)`,
    );
    const values = narrowColumnValues(db, spec, app, present);
    expect([...values.outOfReach]).toEqual([
      ['wins', { count: 1, keys: ['a'] }],
      ['losses', { count: 1, keys: ['b'] }],
    ]);
    const refused = judgeColumns(spec, app, values, false, present);
    expect(refused.problems.map((p) => [p.code, p.column, p.count, p.keys])).toEqual([
      ['TARGET_COLUMN_TOO_NARROW', 'wins', 1, ['a']],
      ['TARGET_COLUMN_TOO_NARROW', 'losses', 1, ['b']],
    ]);
    const widen = judgeColumns(spec, app, values, true, present);
    expect(widen.problems).toEqual([]);
    // Every real column holding values is widened too, so no digit is rounded; the app-only one is left alone.
    expect(widen.widen.map((w) => `${w.column}: ${w.from} -> ${w.to}`)).toEqual([
      'elo: real -> double precision',
      'wins: integer -> bigint',
      'losses: integer -> bigint',
    ]);
    expect(widen.rounded).toEqual([]);
  });

  it('refuses a finite float past float4 range, and an unrelated type, each with its code', () => {
    const db = source(`INSERT INTO ratings VALUES ('big', 1e300, 1, 1, NULL), ('inf', 9e999, 1, 1, NULL)`);
    const values = narrowColumnValues(db, spec, app, present);
    expect(values.outOfReach.get('elo')).toEqual({ count: 1, keys: ['big'] });
    expect(judgeColumns(spec, app, values, false, present).problems.map((p) => p.code)).toEqual([
      'TARGET_COLUMN_TOO_NARROW',
    ]);
    const boolWins: TargetTableState = { ...app, columns: new Map([...app.columns, ['wins', 'boolean']]) };
    const bad = judgeColumns(spec, boolWins, narrowColumnValues(db, spec, boolWins, present), false, present);
    expect(bad.problems.map((p) => [p.code, p.column])).toContainEqual(['TARGET_INCOMPATIBLE', 'wins']);
  });

  it('refuses a NOT NULL column no row fills and the table cannot fill itself', () => {
    const strict: TargetTableState = {
      ...app,
      columns: new Map([...app.columns, ['owner', 'text']]),
      notNull: new Set([...app.notNull, 'owner']),
    };
    const j = judgeColumns(spec, strict, { outOfReach: new Map(), valued: new Set() }, false, present);
    expect(j.problems.map((p) => [p.code, p.column])).toEqual([['TARGET_INCOMPATIBLE', 'owner']]);
  });

  it('converts for the table as it is: real and integer types, its NOT NULLs, a column it lacks nullable; a new table as the mapping says', () => {
    const fitted = fitSpec(spec, app);
    const col = (n: string): unknown => fitted.columns.find((c) => c.name === n);
    expect(col('elo')).toMatchObject({ type: 'real', nullable: true });
    expect(col('wins')).toMatchObject({ type: 'integer', nullable: false });
    expect(col('losses')).toMatchObject({ type: 'integer', nullable: true });
    expect(col('extra')).toMatchObject({ type: 'text', nullable: true });
    expect(fitSpec(spec, MISSING_TABLE)).toBe(spec);
    const after = fitSpec(
      spec,
      widened(app, [{ table: 'elo_ratings', column: 'elo', from: 'real', to: 'double precision' }]),
    );
    expect(after.columns.find((c) => c.name === 'elo')?.type).toBe('double precision');
  });
});
