import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLedger } from '../../../src/ledger/schema.js';
import { TableSpecSchema, type TableSpec } from '../../../src/mapping/schema.js';
import { conflictSql } from '../../../src/target/merge-sql.js';
import { recordConflictsSql } from '../../../src/ledger/conflicts.js';
import { qualified, quoteIdent } from '../../../src/util/quote.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/**
 * What each conflict policy does to real rows, as an operator sees it after a
 * second instance is migrated into tables a first one filled: the rows in the
 * target, the resolutions in the ledger, and which incoming rows are left in
 * the stage to be inserted as new. The statements run in the order and
 * transaction load-table.ts runs them: record, update, discard.
 */

type Row = Record<string, unknown>;

interface Resolution {
  /** The target's rows after the batch, by key. */
  readonly target: Row[];
  /** What aragora_migrate.conflicts holds for the batch, by source rowid. */
  readonly conflicts: {
    row_key: string;
    policy: string;
    outcome: string;
    before_row: Row | null;
    incoming_row: Row | null;
  }[];
  /** The incoming rows still in the stage: the ones load-table.ts then inserts. */
  readonly staged: Row[];
  /** The discard's row count (rowsMerged). */
  readonly merged: number;
}

let db: TestDatabase;
let client: pg.Client;
let tableNo = 0;

beforeAll(async () => {
  db = await createTestDatabase('merge_sql');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await ensureLedger(client);
  await client.query('CREATE SCHEMA "tgt schema"');
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

function tableSpec(t: Record<string, unknown>): TableSpec {
  return TableSpecSchema.parse({ source: 'src', target: 'tgt', ...t });
}

/**
 * Creates the target table of `spec` holding `existing`, stages `incoming` the
 * way load-table.ts does (the target's columns plus __rowid and __key), and
 * resolves the collisions by the spec's policy.
 */
async function resolve(spec: TableSpec, existing: Row[], incoming: Row[], tableName?: string): Promise<Resolution> {
  tableNo += 1;
  const name = tableName ?? `t${tableNo}`;
  const runId = `run-${tableNo}`;
  const target = qualified('tgt schema', name);
  const columns = spec.columns.map((c) => c.target ?? c.name);
  const keyTargets = spec.key.map((k) => spec.columns.find((c) => c.name === k)?.target ?? k);
  await client.query(
    `CREATE TABLE ${target} (${spec.columns.map((c) => `${quoteIdent(c.target ?? c.name)} ${c.type}`).join(', ')}, PRIMARY KEY (${keyTargets.map(quoteIdent).join(', ')}))`,
  );
  await client.query(`INSERT INTO ${target} SELECT * FROM jsonb_populate_recordset(NULL::${target}, $1)`, [
    JSON.stringify(existing),
  ]);

  const stage = `pg_temp.${quoteIdent(`stage_${tableNo}`)}`;
  const sql = conflictSql(spec, spec.conflict, target, stage, columns, keyTargets);
  await client.query('BEGIN');
  try {
    await client.query(
      `CREATE TEMP TABLE ${quoteIdent(`stage_${tableNo}`)} ON COMMIT DROP AS SELECT *, 0::bigint AS __rowid, ''::text AS __key FROM ${target} WITH NO DATA`,
    );
    const staged = incoming.map((r, i) => ({
      ...r,
      __rowid: i + 1,
      __key: keyTargets.map((k) => String(r[k])).join('|'),
    }));
    await client.query(`INSERT INTO ${stage} SELECT * FROM jsonb_populate_recordset(NULL::${stage}, $1)`, [
      JSON.stringify(staged),
    ]);
    await client.query(recordConflictsSql(sql.collisions), [runId, 'a.db', spec.source, spec.target]);
    if (sql.update !== null) await client.query(sql.update);
    const merged = (await client.query(sql.discard)).rowCount ?? 0;
    const left = await client.query<Row>(`SELECT ${columns.map(quoteIdent).join(', ')} FROM ${stage} ORDER BY __rowid`);
    await client.query('COMMIT');
    const order = keyTargets.map(quoteIdent).join(', ');
    const rows = await client.query<Row>(`SELECT * FROM ${target} ORDER BY ${order}`);
    const conflicts = await client.query<Resolution['conflicts'][number]>(
      'SELECT row_key, policy, outcome, before_row, incoming_row FROM aragora_migrate.conflicts WHERE run_id = $1 ORDER BY source_rowid',
      [runId],
    );
    return { target: rows.rows, conflicts: conflicts.rows, staged: left.rows, merged };
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

const ITEMS = [
  { name: 'id', type: 'text', nullable: false },
  { name: 'label', type: 'text' },
  { name: 'score', type: 'double precision' },
  { name: 'updated_at', type: 'bigint' },
];

describe('overwrite', () => {
  it('replaces colliding rows with the incoming ones, leaves the others, and keeps only new rows staged', async () => {
    const spec = tableSpec({ key: ['id'], columns: ITEMS, conflict: { policy: 'overwrite' } });
    const r = await resolve(
      spec,
      [
        { id: 'a', label: 'old a', score: 1, updated_at: 10 },
        { id: 'b', label: 'old b', score: 2, updated_at: 10 },
      ],
      [
        { id: 'a', label: 'new a', score: null, updated_at: 5 },
        { id: 'c', label: 'new c', score: 3, updated_at: 5 },
      ],
    );
    expect(r.target).toEqual([
      { id: 'a', label: 'new a', score: null, updated_at: '5' },
      { id: 'b', label: 'old b', score: 2, updated_at: '10' },
    ]);
    expect(r.staged).toEqual([{ id: 'c', label: 'new c', score: 3, updated_at: '5' }]);
    expect(r.merged).toBe(1);
    expect(r.conflicts).toEqual([
      {
        row_key: 'a',
        policy: 'overwrite',
        outcome: 'overwritten',
        before_row: { id: 'a', label: 'old a', score: 1, updated_at: 10 },
        incoming_row: { id: 'a', label: 'new a', score: null, updated_at: 5 },
      },
    ]);
  });

  it('keeps the id the target gave a row with a surrogate key', async () => {
    const spec = tableSpec({
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
    const r = await resolve(spec, [{ id: 1, debate_id: 'd1', winner: 'x' }], [{ id: 7, debate_id: 'd1', winner: 'y' }]);
    expect(r.target).toEqual([{ id: '1', debate_id: 'd1', winner: 'y' }]);
  });

  it('works on names holding quotes and spaces', async () => {
    const spec = tableSpec({
      key: ['the "id"'],
      columns: [
        { name: 'the "id"', type: 'text', nullable: false },
        { name: "o'clock", target: 'value column', type: 'text' },
      ],
      conflict: { policy: 'overwrite' },
    });
    const r = await resolve(
      spec,
      [{ 'the "id"': 'k', 'value column': 'old' }],
      [{ 'the "id"': 'k', 'value column': 'new' }],
      'a "quoted" table',
    );
    expect(r.target).toEqual([{ 'the "id"': 'k', 'value column': 'new' }]);
    expect(r.conflicts.map((c) => c.outcome)).toEqual(['overwritten']);
  });
});

describe('newest', () => {
  it('takes the incoming row where it is newer or the existing one has no date, and keeps the existing one otherwise', async () => {
    const spec = tableSpec({ key: ['id'], columns: ITEMS, conflict: { policy: 'newest', column: 'updated_at' } });
    const r = await resolve(
      spec,
      [
        { id: 'newer', label: 'old', score: 1, updated_at: 10 },
        { id: 'older', label: 'old', score: 1, updated_at: 10 },
        { id: 'same', label: 'old', score: 1, updated_at: 10 },
        { id: 'undated', label: 'old', score: 1, updated_at: null },
        { id: 'incoming undated', label: 'old', score: 1, updated_at: 10 },
      ],
      [
        { id: 'newer', label: 'new', score: 2, updated_at: 11 },
        { id: 'older', label: 'new', score: 2, updated_at: 9 },
        { id: 'same', label: 'new', score: 2, updated_at: 10 },
        { id: 'undated', label: 'new', score: 2, updated_at: 1 },
        { id: 'incoming undated', label: 'new', score: 2, updated_at: null },
      ],
    );
    const labels = Object.fromEntries(r.target.map((row) => [row.id, row.label]));
    expect(labels).toEqual({ newer: 'new', older: 'old', same: 'old', undated: 'new', 'incoming undated': 'old' });
    expect(Object.fromEntries(r.conflicts.map((c) => [c.row_key, c.outcome]))).toEqual({
      newer: 'incoming-newer',
      older: 'kept-existing',
      same: 'kept-existing',
      undated: 'incoming-newer',
      'incoming undated': 'kept-existing',
    });
    expect(new Set(r.conflicts.map((c) => c.policy))).toEqual(new Set(['newest:updated_at']));
    expect(r.staged).toEqual([]);
    expect(r.merged).toBe(5);
  });
});

describe('merge', () => {
  const RATINGS = [
    { name: 'agent', type: 'text', nullable: false },
    { name: 'elo', type: 'double precision' },
    { name: 'games', type: 'bigint' },
    { name: 'wins', type: 'bigint' },
    { name: 'best', type: 'double precision' },
    { name: 'worst', type: 'double precision' },
    { name: 'first_name', type: 'text' },
    { name: 'last_name', type: 'text' },
    { name: 'tags', type: 'jsonb' },
    { name: 'stats', type: 'jsonb' },
    { name: 'scores', type: 'jsonb' },
    { name: 'untouched', type: 'text' },
  ];
  const RULES = {
    elo: { rule: 'weighted-mean', weight: 'games' },
    games: 'sum',
    wins: 'sum',
    best: 'max',
    worst: 'min',
    first_name: 'keep',
    last_name: 'incoming',
    tags: 'union',
    stats: 'merge-keys',
    scores: { rule: 'merge-keys', weight: 'games' },
  };
  const spec = tableSpec({ key: ['agent'], columns: RATINGS, conflict: { policy: 'merge', columns: RULES } });

  it('combines each column by its rule, weighting by the weights from before the batch even as they are summed', async () => {
    const r = await resolve(
      spec,
      [
        {
          agent: 'a',
          elo: 1000,
          games: 10,
          wins: 4,
          best: 5,
          worst: 5,
          first_name: 'old',
          last_name: 'old',
          tags: [1, 2],
          stats: { x: 1, y: 2 },
          scores: { p: 1, q: 5 },
          untouched: 'old',
        },
      ],
      [
        {
          agent: 'a',
          elo: 1300,
          games: 20,
          wins: 6,
          best: 9,
          worst: 9,
          first_name: 'new',
          last_name: 'new',
          tags: [2, 3, 1, 4],
          stats: { y: 20, z: 30 },
          scores: { p: 4, r: 7 },
          untouched: 'new',
        },
      ],
    );
    expect(r.target).toEqual([
      {
        agent: 'a',
        elo: 1200, // (1000·10 + 1300·20) / 30
        games: '30',
        wins: '10',
        best: 9,
        worst: 5,
        first_name: 'old',
        last_name: 'new',
        tags: [1, 2, 3, 4], // existing first, then the incoming ones not present
        stats: { x: 1, y: 20, z: 30 }, // a key both have: the incoming value
        scores: { p: 3, q: 5, r: 7 }, // p: (1·10 + 4·20) / 30
        untouched: 'old', // not listed: the existing value stays
      },
    ]);
    expect(r.conflicts.map((c) => [c.row_key, c.policy, c.outcome])).toEqual([['a', 'merge', 'merged']]);
    expect(r.staged).toEqual([]);
  });

  it('treats NULL as absent: a sum of one side is that side, of none is NULL; the other JSON side wins', async () => {
    const r = await resolve(
      spec,
      [
        {
          agent: 'n1',
          elo: null,
          games: null,
          wins: null,
          best: null,
          worst: 3,
          tags: null,
          stats: { x: 1 },
          scores: null,
        },
        { agent: 'n2', elo: 1500, games: 0, wins: 2, best: 4, worst: null, tags: [1], stats: null, scores: { p: 1 } },
      ],
      [
        {
          agent: 'n1',
          elo: 1100,
          games: 5,
          wins: null,
          best: 7,
          worst: null,
          tags: [9],
          stats: null,
          scores: { p: 2 },
        },
        {
          agent: 'n2',
          elo: 1700,
          games: 0,
          wins: null,
          best: null,
          worst: 1,
          tags: { not: 'an array' },
          stats: { y: 2 },
          scores: null,
        },
      ],
    );
    const byAgent = Object.fromEntries(r.target.map((row) => [row.agent, row]));
    expect(byAgent.n1).toMatchObject({
      elo: 1100,
      games: '5',
      wins: null,
      best: 7,
      worst: 3,
      tags: [9],
      stats: { x: 1 },
      scores: { p: 2 },
    });
    // No weight on either side: the mean falls back to the incoming value.
    expect(byAgent.n2).toMatchObject({
      elo: 1700,
      games: '0',
      wins: '2',
      best: 4,
      worst: 1,
      tags: { not: 'an array' },
      stats: { y: 2 },
      scores: { p: 1 },
    });
  });
});

describe('policies that keep the existing row', () => {
  const cases = [
    { conflict: { policy: 'keep-existing' }, outcome: 'kept-existing' },
    { conflict: { policy: 'keep-existing', warn: true }, outcome: 'kept-existing (review)' },
    { conflict: { policy: 'fail' }, outcome: 'kept-existing' },
  ];
  for (const { conflict, outcome } of cases) {
    it(`${conflict.policy}${conflict.warn === true ? ' with warn' : ''}: the target is unchanged, each collision is in the ledger as "${outcome}", new rows stay staged`, async () => {
      const spec = tableSpec({ key: ['id'], columns: ITEMS, conflict });
      const r = await resolve(
        spec,
        [{ id: 'a', label: 'old', score: 1, updated_at: 1 }],
        [
          { id: 'a', label: 'new', score: 2, updated_at: 2 },
          { id: 'b', label: 'new', score: 2, updated_at: 2 },
        ],
      );
      expect(r.target).toEqual([{ id: 'a', label: 'old', score: 1, updated_at: '1' }]);
      expect(r.conflicts).toEqual([
        {
          row_key: 'a',
          policy: conflict.policy,
          outcome,
          before_row: { id: 'a', label: 'old', score: 1, updated_at: 1 },
          incoming_row: { id: 'a', label: 'new', score: 2, updated_at: 2 },
        },
      ]);
      expect(r.staged.map((row) => row.id)).toEqual(['b']);
      expect(r.merged).toBe(1);
    });
  }

  it('keep-both on a composite key: the existing row stays, the incoming one is kept in the ledger', async () => {
    const spec = tableSpec({
      key: ['debate', 'agent'],
      columns: [
        { name: 'debate', type: 'text', nullable: false },
        { name: 'agent', type: 'text', nullable: false },
        { name: 'stance', type: 'text' },
      ],
      conflict: { policy: 'keep-both' },
    });
    const r = await resolve(
      spec,
      [{ debate: 'd', agent: 'x', stance: 'pro' }],
      [
        { debate: 'd', agent: 'x', stance: 'con' },
        { debate: 'd', agent: 'y', stance: 'con' },
      ],
    );
    expect(r.target).toEqual([{ debate: 'd', agent: 'x', stance: 'pro' }]);
    expect(r.conflicts).toEqual([
      {
        row_key: 'd|x',
        policy: 'keep-both',
        outcome: 'kept-existing: id collision, incoming row in the ledger',
        before_row: { debate: 'd', agent: 'x', stance: 'pro' },
        incoming_row: { debate: 'd', agent: 'x', stance: 'con' },
      },
    ]);
    expect(r.staged).toEqual([{ debate: 'd', agent: 'y', stance: 'con' }]);
  });
});

describe('a batch with no collision', () => {
  it('records nothing, changes nothing and leaves every row staged', async () => {
    const spec = tableSpec({ key: ['id'], columns: ITEMS, conflict: { policy: 'overwrite' } });
    const r = await resolve(
      spec,
      [{ id: 'a', label: 'old', score: 1, updated_at: 1 }],
      [{ id: 'b', label: 'new', score: 2, updated_at: 2 }],
    );
    expect(r.conflicts).toEqual([]);
    expect(r.merged).toBe(0);
    expect(r.target).toEqual([{ id: 'a', label: 'old', score: 1, updated_at: '1' }]);
    expect(r.staged).toEqual([{ id: 'b', label: 'new', score: 2, updated_at: '2' }]);
  });
});
