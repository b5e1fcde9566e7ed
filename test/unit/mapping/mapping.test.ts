import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MappingError } from '../../../src/errors.js';
import { mappingJsonSchemaText } from '../../../src/mapping/json-schema.js';
import {
  builtinMappingDir,
  loadBuiltinMappingSet,
  loadMappingSet,
  locateJsonError,
  mappingErrorFrom,
} from '../../../src/mapping/load.js';
import type { MappingProblem } from '../../../src/mapping/load.js';
import type { ColumnSpec, TableSpec } from '../../../src/mapping/schema.js';

/** Every table of the seven stores' SQLite DDL (reference §2), per store. */
const EXPECTED_TABLES: Record<string, readonly string[]> = {
  elo: [
    'ratings',
    'matches',
    'elo_history',
    'calibration_predictions',
    'domain_calibration',
    'calibration_buckets',
    'agent_relationships',
  ],
  continuum: ['continuum_memory', 'meta_learning_state', 'tier_transitions', 'continuum_memory_archive'],
  insights: [
    'insights',
    'debate_summaries',
    'agent_performance_history',
    'pattern_clusters',
    'wisdom_submissions',
    'insight_usage',
  ],
  consensus: ['consensus', 'dissent', 'verified_proofs', 'consensus_archive', 'dissent_archive'],
  personas: ['personas', 'performance_history'],
  positions: [
    'position_history',
    'debate_outcomes',
    'experiments',
    'emergent_traits',
    'trait_transfers',
    'evolution_history',
    'detected_flips',
    'positions',
  ],
  genesis: ['genesis_events', 'genomes', 'populations', 'active_population'],
};

function tableOf(source: string): TableSpec {
  const entry = loadBuiltinMappingSet().bySource.get(source);
  if (entry === undefined) throw new Error(`no mapping for ${source}`);
  return entry.table;
}

function columnOf(source: string, name: string): ColumnSpec {
  const column = tableOf(source).columns.find((c) => c.name === name);
  if (column === undefined) throw new Error(`no column ${source}.${name}`);
  return column;
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mapping-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the shipped aragora mapping set', () => {
  it('loads with no errors and no warnings', () => {
    const result = loadMappingSet(builtinMappingDir());
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('covers exactly the tables of the seven stores, each in its own store', () => {
    const set = loadBuiltinMappingSet();
    expect(set.name).toBe('aragora');
    const actual = Object.fromEntries(set.stores.map((s) => [s.name, s.tables.map((t) => t.source)]));
    expect(actual).toEqual(EXPECTED_TABLES);
    expect([...set.bySource.keys()].sort()).toEqual(Object.values(EXPECTED_TABLES).flat().sort());
  });

  it('never maps bookkeeping or index tables', () => {
    const sources = [...loadBuiltinMappingSet().bySource.keys()];
    expect(sources.filter((s) => /^(_schema_versions|sqlite_|memory_fts)/.test(s))).toEqual([]);
  });

  it('lists both layouts of every store', () => {
    const files = Object.fromEntries(loadBuiltinMappingSet().stores.map((s) => [s.name, s.files]));
    expect(files).toEqual({
      elo: { legacy: ['agent_elo.db'], consolidated: ['analytics.db'] },
      continuum: { legacy: ['continuum_memory.db', 'continuum.db'], consolidated: ['memory.db'] },
      insights: { legacy: ['aragora_insights.db'], consolidated: ['analytics.db'] },
      consensus: { legacy: ['consensus_memory.db'], consolidated: ['memory.db'] },
      personas: { legacy: ['agent_personas.db'], consolidated: ['agents.db'] },
      positions: {
        legacy: ['grounded_positions.db', 'aragora_positions.db', 'agent_personas.db'],
        consolidated: ['core.db', 'agents.db'],
      },
      genesis: { legacy: ['genesis.db'], consolidated: ['agents.db'] },
    });
  });

  it('gives ELO tables the PostgresEloDatabase names and keeps every other name', () => {
    const set = loadBuiltinMappingSet();
    const targets = Object.fromEntries([...set.bySource].map(([source, { table }]) => [source, table.target]));
    expect(targets).toMatchObject({
      ratings: 'elo_ratings',
      matches: 'elo_matches',
      elo_history: 'elo_history',
      calibration_predictions: 'elo_calibration_predictions',
      domain_calibration: 'elo_domain_calibration',
      calibration_buckets: 'elo_calibration_buckets',
      agent_relationships: 'elo_agent_relationships',
    });
    const others = [...set.bySource.values()].filter(({ store }) => store.name !== 'elo');
    expect(others.filter(({ table }) => table.target !== table.source)).toEqual([]);
  });

  it('keeps REAL lossless and INTEGER 64-bit, but for the counters the app sums (SUM of a bigint is numeric)', () => {
    expect(columnOf('ratings', 'elo').type).toBe('double precision');
    expect(columnOf('ratings', 'wins').type).toBe('bigint');
    const all = [...loadBuiltinMappingSet().bySource.values()].flatMap(({ table }) =>
      table.columns.map((c) => ({ ...c, table: table.target })),
    );
    expect(all.filter((c) => c.type === 'integer').map((c) => `${c.table}.${c.name}`)).toEqual([
      'agent_performance_history.proposals_made',
      'agent_performance_history.critiques_given',
    ]);
  });

  it('copies the genesis ledger hash and its inputs verbatim as text', () => {
    for (const name of ['event_id', 'event_type', 'timestamp', 'parent_event_id', 'content_hash', 'data']) {
      const column = columnOf('genesis_events', name);
      expect({ name, type: column.type, convert: column.convert }).toEqual({ name, type: 'text', convert: 'verbatim' });
      expect(column.note).toBeTruthy();
    }
  });

  it('fills the columns older continuum files lack', () => {
    expect(columnOf('continuum_memory', 'red_line')).toMatchObject({ type: 'boolean', whenMissing: false });
    expect(columnOf('continuum_memory', 'red_line_reason')).toMatchObject({ type: 'text', whenMissing: '' });
    expect(columnOf('continuum_memory', 'expires_at')).toMatchObject({ type: 'timestamptz', whenMissing: null });
  });

  it('uses natural keys and re-keys autoincrement ids', () => {
    expect(tableOf('matches')).toMatchObject({
      key: ['debate_id'],
      primaryKey: ['id'],
      surrogateKey: 'id',
      unique: [['debate_id']],
    });
    expect(tableOf('position_history').key).toEqual(['debate_id', 'agent_name', 'position_type', 'round_num']);
    expect(tableOf('elo_history')).toMatchObject({ key: ['id'], surrogateKey: 'id' });
  });

  it("gives the app's tables their app-only columns: defaults, the trigger-filled search_vector, dissent's fields from data", () => {
    expect(columnOf('agent_relationships', 'avg_critique_severity_a_to_b')).toMatchObject({
      targetOnly: true,
      default: '0.0',
    });
    expect(columnOf('insights', 'search_vector')).toMatchObject({ type: 'tsvector', targetOnly: true });
    expect(columnOf('insights', 'search_vector').verifyEquals).toContain("to_tsvector('english'");
    expect(tableOf('insights').triggers.map((t) => t.name)).toEqual(['insight_search_vector_trigger']);
    expect(tableOf('insights').indexes).toContainEqual({
      name: 'idx_insights_search',
      columns: ['search_vector'],
      using: 'gin',
    });
    expect(columnOf('dissent', 'reasoning')).toMatchObject({
      type: 'text',
      fromJson: { column: 'data', key: 'reasoning' },
      whenMissing: '',
    });
    expect(columnOf('dissent', 'acknowledged')).toMatchObject({
      type: 'boolean',
      fromJson: { column: 'data', key: 'acknowledged' },
      whenMissing: false,
    });
    expect(columnOf('dissent', 'rebuttal')).toMatchObject({
      type: 'text',
      fromJson: { column: 'data', key: 'rebuttal' },
      whenMissing: '',
    });
  });

  it("enforces exactly the app's foreign keys, with their cascades", () => {
    const enforced = [...loadBuiltinMappingSet().bySource.values()].flatMap(({ table }) =>
      table.foreignKeys
        .filter((fk) => fk.enforce)
        .map(
          (fk) =>
            `${table.source}(${fk.columns.join()}) -> ${fk.references.table}(${fk.references.columns.join()}) ${fk.onDelete ?? ''}`,
        ),
    );
    expect(enforced.sort()).toEqual([
      'agent_performance_history(debate_id) -> debate_summaries(debate_id) cascade',
      'dissent(debate_id) -> consensus(id) cascade',
      'tier_transitions(memory_id) -> continuum_memory(id) cascade',
      'verified_proofs(debate_id) -> consensus(id) cascade',
    ]);
  });

  it('chooses an explicit, explained conflict policy for every table', () => {
    for (const [source, { table }] of loadBuiltinMappingSet().bySource) {
      expect({ source, policy: table.conflict.policy }).not.toEqual({ source, policy: 'fail' });
      expect({ source, reason: Boolean(table.conflict.reason) }).toEqual({ source, reason: true });
    }
    expect(tableOf('ratings').conflict).toMatchObject({
      policy: 'merge',
      columns: { elo: { rule: 'weighted-mean', weight: 'debates_count' }, wins: 'sum', updated_at: 'max' },
    });
    expect(tableOf('personas').conflict).toMatchObject({ policy: 'newest', column: 'updated_at' });
    expect(tableOf('positions').conflict.policy).toBe('keep-both');
    expect(tableOf('consensus').conflict.policy).toBe('keep-existing');
  });

  it('declares every foreign key SQLite declared', () => {
    const fks = [...loadBuiltinMappingSet().bySource].flatMap(([source, { table }]) =>
      table.foreignKeys.map(
        (fk) => `${source}.${fk.columns.join()} -> ${fk.references.table}.${fk.references.columns.join()}`,
      ),
    );
    expect(fks.sort()).toEqual(
      [
        'dissent.debate_id -> consensus.id',
        'verified_proofs.debate_id -> consensus.id',
        'tier_transitions.memory_id -> continuum_memory.id',
        'agent_performance_history.debate_id -> debate_summaries.debate_id',
        'genesis_events.parent_event_id -> genesis_events.event_id',
      ].sort(),
    );
  });

  it('is frozen', () => {
    const table = tableOf('ratings');
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.columns[0])).toBe(true);
  });
});

describe('loadMappingSet on a broken set', () => {
  const column = (name: string, type: string): Record<string, unknown> => ({ name, type });
  const files = {
    // schema errors (a type outside the enum, an unknown property) in one table;
    // its other table is valid and still takes part in the cross-file checks
    'a.json': JSON.stringify({
      name: 'a',
      files: {},
      tables: [
        {
          source: 'alpha',
          target: 'alpha',
          key: ['id'],
          columns: [column('id', 'text'), column('n', 'txt')],
          colour: 'red',
        },
        { source: 'shared', target: 'shared_a', key: ['id'], columns: [{ name: 'id', type: 'text', nullable: false }] },
      ],
    }),
    // rule errors: unknown key column, non-numeric merge weight, and a source table a already maps
    'b.json': JSON.stringify({
      name: 'b',
      files: {},
      tables: [
        {
          source: 'shared',
          target: 'shared_b',
          key: ['missing'],
          columns: [
            { name: 'id', type: 'text', nullable: false },
            column('label', 'text'),
            column('score', 'double precision'),
          ],
          conflict: { policy: 'merge', columns: { score: { rule: 'weighted-mean', weight: 'label' } } },
        },
      ],
    }),
    // rule errors: the same duplicate source, and whenMissing on a key column
    'c.json': JSON.stringify({
      name: 'c',
      files: {},
      tables: [
        {
          source: 'shared',
          target: 'shared_c',
          key: ['id'],
          columns: [{ name: 'id', type: 'text', nullable: false, whenMissing: 'x' }],
        },
      ],
    }),
    // a JSON syntax error on line 3, column 12
    'd.json': '{\n  "name": "d",\n  "files": {,\n}\n',
  };

  it('reports every problem of every file at once, each with its path', () => {
    const dir = tempDir(files);
    const result = loadMappingSet(dir);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    const at = (file: string, path: string): MappingProblem | undefined =>
      errors.find((e) => e.path === `${join(dir, file)}${path}`);

    expect(at('a.json', ': tables[0].columns[1].type')?.message).toMatch(/expected one of .*"text".*got "txt"/);
    expect(at('a.json', ': tables[0]')?.message).toMatch(/colour/);
    expect(at('b.json', ': tables[0].key[0]')?.message).toMatch(/unknown column "missing"/);
    expect(at('b.json', ': tables[0].conflict.columns.score.weight')?.message).toMatch(/numeric/);
    expect(at('b.json', ': tables[0].source')?.message).toMatch(
      /already mapped by store "a" \(.*a\.json: tables\[1\]\)/,
    );
    expect(at('c.json', ': tables[0].source')?.message).toMatch(/already mapped by store "a"/);
    expect(at('c.json', ': tables[0].columns[0].whenMissing')?.message).toMatch(/identifies the row/);
    expect(at('d.json', ':3:13')?.message).toMatch(/invalid JSON/);
    expect(errors).toHaveLength(8);
  });

  it('warns, without failing, about merge columns the policy leaves out', () => {
    const dir = tempDir({
      'b.json': files['b.json']
        .replace('"key":["missing"]', '"key":["id"]')
        .replace('"weight":"label"', '"weight":"score"'),
    });
    const result = loadMappingSet(dir);
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      {
        path: `${join(dir, 'b.json')}: tables[0].conflict.columns`,
        message: expect.stringMatching(/"label"/) as unknown,
      },
    ]);
  });

  it('refuses app-schema declarations that cannot work: a JSON source that is not jsonb, a loaded tsvector, a delete action on a key the tool does not create', () => {
    const dir = tempDir({
      'e.json': JSON.stringify({
        name: 'e',
        files: {},
        tables: [
          {
            source: 'dissent',
            target: 'dissent',
            key: ['id'],
            columns: [
              { name: 'id', type: 'text', nullable: false },
              { name: 'data', type: 'text' },
              { name: 'reasoning', type: 'text', fromJson: { column: 'data', key: 'reasoning' } },
              { name: 'search', type: 'tsvector' },
              { name: 'checked', type: 'text', verifyEquals: 'upper(id)' },
            ],
            foreignKeys: [{ columns: ['id'], references: { table: 'dissent', columns: ['id'] }, onDelete: 'cascade' }],
          },
        ],
      }),
    });
    const result = loadMappingSet(dir);
    const messages = result.ok ? [] : result.errors.map((e) => `${e.path.slice(dir.length + 1)} ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^e\.json: tables\[0\]\.columns\[2\]\.fromJson\.column fromJson needs a jsonb column/),
      expect.stringMatching(/^e\.json: tables\[0\]\.columns\[3\]\.type "search" is tsvector/),
      expect.stringMatching(/^e\.json: tables\[0\]\.columns\[4\]\.verifyEquals/),
      expect.stringMatching(
        /^e\.json: tables\[0\]\.foreignKeys\[0\]\.onDelete onDelete applies to a key the tool creates/,
      ),
    ]);
  });

  it('reports a missing or empty directory instead of throwing', () => {
    const missing = loadMappingSet(join(tmpdir(), 'no-such-mapping-dir-for-test'));
    expect(missing.ok).toBe(false);
    const empty = loadMappingSet(tempDir({}));
    expect(empty.ok ? [] : empty.errors.map((e) => e.message)).toEqual(['no *.json mapping files in this directory']);
  });

  it('turns the problems into one MappingError, one line per problem', () => {
    const result = loadMappingSet(tempDir(files));
    if (result.ok) throw new Error('expected failure');
    const error = mappingErrorFrom(result);
    expect(error).toBeInstanceOf(MappingError);
    expect(error.code).toBe('MAPPING_INVALID');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid mapping set (8 problems):');
    expect(lines.slice(1)).toEqual(result.errors.map((p) => `${p.path}: ${p.message}`));
  });
});

describe('locateJsonError', () => {
  it('finds where JSON goes wrong', () => {
    expect(locateJsonError('{"a": }')).toEqual({ offset: 6, message: 'unexpected "}", expected a value' });
    expect(locateJsonError('[1, 2')).toEqual({ offset: 5, message: "unexpected end of input, expected ',' or ']'" });
    expect(locateJsonError('{"a": 1,}')?.offset).toBe(8);
    expect(locateJsonError('{"a": "x\\q"}')?.offset).toBe(8);
    expect(locateJsonError('{"a": [true, null, -1.5e3, "\\u00e9"]}')).toBeUndefined();
  });
});

describe('mappings/mapping.schema.json', () => {
  it('is what scripts/gen-mapping-schema.ts generates from the zod schema', () => {
    const file = join(builtinMappingDir(), '..', 'mapping.schema.json');
    expect(readFileSync(file, 'utf8')).toBe(mappingJsonSchemaText());
  });

  it('is what every shipped file points at', () => {
    for (const store of loadBuiltinMappingSet().stores) expect(store.$schema).toBe('../mapping.schema.json');
  });
});
