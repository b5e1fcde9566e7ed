import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInstance, type FixtureManifest, type GenerateOptions } from '../../fixtures/generate.js';
import { FIXTURE_ONLY_KINDS } from '../../fixtures/types.js';
import { FINDING_KINDS } from '../../src/findings/finding.js';
import { formatKey } from '../../src/util/keys.js';

const root = mkdtempSync(join(tmpdir(), 'am-fixtures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const LEGACY = [
  'agent_elo.db',
  'continuum_memory.db',
  'aragora_insights.db',
  'consensus_memory.db',
  'agent_personas.db',
  'grounded_positions.db',
  'genesis.db',
];
const CONSOLIDATED = ['analytics.db', 'memory.db', 'agents.db', 'core.db'];
const STRAY = ['notes.db', 'empty.db'];

let n = 0;
function gen(opts: Omit<GenerateOptions, 'dir'>): FixtureManifest {
  return generateInstance({ dir: join(root, `gen-${n++}`), ...opts });
}

/** Open a private copy (with -wal/-shm unless `dbOnly`): opening the data dir itself would checkpoint it. */
function openCopy(dir: string, file: string, dbOnly = false): Database.Database {
  const dst = mkdtempSync(join(root, 'copy-'));
  for (const suffix of dbOnly ? [''] : ['', '-wal', '-shm']) {
    if (existsSync(join(dir, file + suffix))) copyFileSync(join(dir, file + suffix), join(dst, file + suffix));
  }
  const db = new Database(join(dst, file));
  db.pragma('foreign_keys = OFF');
  return db;
}

const tablesOf = (db: Database.Database): string[] =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

const normalize = (_k: string, v: unknown): unknown =>
  typeof v === 'bigint'
    ? `${v}n`
    : v instanceof Uint8Array
      ? Buffer.from(v).toString('hex')
      : typeof v === 'number' && !Number.isFinite(v)
        ? String(v)
        : v;

/** file:table → sha256 of every row (rowid order; WITHOUT ROWID shadow tables by sorted rows). */
function dumpAll(m: FixtureManifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of m.files.filter((f) => f.endsWith('.db') && !STRAY.includes(f))) {
    const db = openCopy(m.dir, file);
    for (const t of tablesOf(db)) {
      let rows: string[];
      try {
        rows = db
          .prepare(`SELECT rowid AS __rowid, * FROM "${t}" ORDER BY rowid`)
          .all()
          .map((r) => JSON.stringify(r, normalize));
      } catch {
        rows = db
          .prepare(`SELECT * FROM "${t}"`)
          .all()
          .map((r) => JSON.stringify(r, normalize))
          .sort();
      }
      out[`${file}:${t}`] = createHash('sha256').update(rows.join('\n')).digest('hex');
    }
    db.close();
  }
  return out;
}

interface Cell {
  key: string;
  type: string;
  bytes: Buffer;
  value: unknown;
  declared: string;
  pk: boolean;
}

/** Every row's key (formatKey over the PK, as the generator records it) with one column's storage details. */
function cells(db: Database.Database, table: string, column: string): Cell[] {
  const info = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string; pk: number }[];
  const pk = info
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  const declared = info.find((c) => c.name === column)?.type ?? '';
  const sql = `SELECT rowid AS __rowid, ${pk.map((c) => `"${c}"`).join(', ')}, typeof("${column}") AS __t, CAST("${column}" AS BLOB) AS __b, "${column}" AS __v FROM "${table}"`;
  return (db.prepare(sql).all() as Record<string, unknown>[]).map((r) => ({
    key: formatKey(
      pk.map((c) => r[c]),
      r.__rowid as number,
    ),
    type: r.__t as string,
    bytes: (r.__b as Buffer | null) ?? Buffer.alloc(0),
    value: r.__v,
    declared,
    pk: pk.includes(column),
  }));
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;
const UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
const parses = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};
const utf8ok = (b: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};
const FK: Record<string, [string, string]> = {
  'dissent.debate_id': ['consensus', 'id'],
  'tier_transitions.memory_id': ['continuum_memory', 'id'],
};

/** Value-level predicates: which rows of a column show the quirk. */
function predicate(db: Database.Database, table: string, column: string, kind: string): (c: Cell) => boolean {
  const text = (c: Cell): string => (c.type === 'text' ? c.bytes.toString('utf8') : '');
  switch (kind) {
    case 'nul_byte':
      return (c) => c.type === 'text' && c.bytes.includes(0);
    case 'json_nul':
      return (c) => text(c).includes('\\u0000');
    case 'invalid_utf8':
      return (c) => c.type === 'text' && !utf8ok(c.bytes);
    case 'json_nonfinite':
      return (c) => /(NaN|Infinity)/.test(text(c)) && !parses(text(c));
    case 'json_invalid':
      return (c) => c.type === 'text' && !parses(text(c).replace(/-?Infinity|NaN/g, 'null'));
    case 'timestamp_unparseable':
      return (c) => c.type === 'text' && !ISO.test(text(c)) && !UTC.test(text(c));
    case 'mixed_timestamps':
      return (c) => UTC.test(text(c));
    case 'null_key':
      return (c) => c.pk && c.value === null;
    case 'infinite_real':
      return (c) => c.type === 'real' && !Number.isFinite(c.value as number);
    case 'large_json':
      return (c) => c.type === 'text' && c.bytes.length > 1_000_000;
    case 'type_mismatch':
      return (c) =>
        c.declared === 'REAL' ? c.type === 'text' : c.type === 'integer' && c.value !== 0 && c.value !== 1;
    case 'fk_orphan': {
      const [parent, pcol] = FK[`${table}.${column}`] ?? ['?', '?'];
      const ids = new Set(db.prepare(`SELECT "${pcol}" FROM "${parent}"`).pluck().all());
      return (c) => c.value !== null && !ids.has(c.value);
    }
    default:
      throw new Error(`no predicate for ${kind}`);
  }
}

/** Kinds detectable without knowing what a column means, so every column can be scanned for them. */
const SCANNED_KINDS = [
  'nul_byte',
  'json_nul',
  'invalid_utf8',
  'json_nonfinite',
  'null_key',
  'infinite_real',
  'large_json',
];
const VALUE_KINDS = new Set([
  'nul_byte',
  'json_nul',
  'invalid_utf8',
  'json_nonfinite',
  'json_invalid',
  'timestamp_unparseable',
  'mixed_timestamps',
  'null_key',
  'infinite_real',
  'large_json',
  'type_mismatch',
  'fk_orphan',
]);

/** Assert every recorded quirk is present, and that value quirks hit exactly the recorded rows. */
function checkQuirks(m: FixtureManifest): void {
  const allowed = new Set<string>([...FINDING_KINDS, ...FIXTURE_ONLY_KINDS]);
  const groups = new Map<string, Set<string>>();
  for (const q of m.quirks) {
    expect(allowed.has(q.kind), q.kind).toBe(true);
    expect(m.files).toContain(q.file);
    if (VALUE_KINDS.has(q.kind)) {
      const g = `${q.file}|${q.table}|${q.column ?? ''}|${q.kind}`;
      groups.set(g, (groups.get(g) ?? new Set()).add(q.key ?? ''));
    }
  }
  for (const [g, keys] of groups) {
    const [file, table, column, kind] = g.split('|') as [string, string, string, string];
    const db = openCopy(m.dir, file);
    const hit = cells(db, table, column)
      .filter(predicate(db, table, column, kind))
      .map((c) => c.key);
    expect(new Set(hit), g).toEqual(keys);
    db.close();
  }
  // And no hazard anywhere that was not recorded: scan every column of every migratable table.
  for (const file of m.files.filter((f) => f.endsWith('.db') && !STRAY.includes(f))) {
    const db = openCopy(m.dir, file);
    for (const table of tablesOf(db).filter((t) => !t.startsWith('sqlite_') && !t.startsWith('memory_fts'))) {
      for (const { name } of db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]) {
        const all = cells(db, table, name);
        // Every timestamp comes from the seeded clock: a CURRENT_TIMESTAMP/Date.now() leak would show today's date.
        for (const c of all) {
          const day =
            c.type === 'text'
              ? /^(\d{4}-\d\d-\d\d)[T ]\d\d:\d\d:\d\d/.exec(c.bytes.toString('latin1'))?.[1]
              : undefined;
          if (day !== undefined)
            expect(day >= '2025-09-01' && day <= '2026-03-10', `${file}:${table}.${name} ${day}`).toBe(true);
        }
        for (const kind of SCANNED_KINDS) {
          const hit = all.filter(predicate(db, table, name, kind)).map((c) => c.key);
          const g = `${file}|${table}|${name}|${kind}`;
          expect(new Set(hit), g).toEqual(groups.get(g) ?? new Set());
        }
      }
    }
    db.close();
  }
  for (const q of m.quirks.filter((x) => !VALUE_KINDS.has(x.kind))) {
    const path = join(m.dir, q.file);
    if (q.kind === 'zero_byte') expect(statSync(path).size).toBe(0);
    else if (q.kind === 'not_sqlite')
      expect(readFileSync(path).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    else if (q.kind === 'wal_only_rows')
      continue; // checked in its own test
    else {
      const db = openCopy(m.dir, q.file);
      if (q.kind === 'missing_column') {
        const cols = (db.prepare(`PRAGMA table_info("${q.table}")`).all() as { name: string }[]).map((c) => c.name);
        expect(cols.length).toBeGreaterThan(0);
        expect(cols).not.toContain(q.column);
      } else if (q.kind === 'fts5') {
        expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'memory_fts'").pluck().get()).toMatch(/fts5/i);
        expect(tablesOf(db)).toEqual(
          expect.arrayContaining([
            'memory_fts_data',
            'memory_fts_idx',
            'memory_fts_content',
            'memory_fts_docsize',
            'memory_fts_config',
          ]),
        );
      } else if (q.kind === 'schema_versions') {
        const rows = db.prepare('SELECT module, version FROM _schema_versions ORDER BY rowid').all() as {
          module: string;
          version: number;
        }[];
        expect(rows.map((r) => `${r.module}=${r.version}`).join(', ')).toBe(q.note);
      } else throw new Error(`unchecked quirk kind ${q.kind}`);
      db.close();
    }
  }
}

describe('fixture generator', () => {
  let legacyA: FixtureManifest;
  let legacyB: FixtureManifest;
  let consolidatedA: FixtureManifest;
  beforeAll(() => {
    legacyA = gen({ layout: 'legacy', instance: 'a' });
    legacyB = gen({ layout: 'legacy', instance: 'b' });
    consolidatedA = gen({ layout: 'consolidated', instance: 'a' });
  }, 60_000);

  it('writes the expected file names per layout, nothing else', { timeout: 60_000 }, () => {
    const both = gen({ layout: 'both', instance: 'b' });
    const dbs = (m: FixtureManifest): string[] => m.files.filter((f) => f.endsWith('.db')).sort();
    expect(dbs(legacyA)).toEqual([...LEGACY, ...STRAY].sort());
    expect(dbs(consolidatedA)).toEqual([...CONSOLIDATED, ...STRAY].sort());
    expect(dbs(both)).toEqual([...LEGACY, ...CONSOLIDATED, ...STRAY].sort());
    for (const m of [legacyA, consolidatedA, both]) expect(readdirSync(m.dir).sort()).toEqual(m.files);
    expect(legacyA.files).toEqual(
      expect.arrayContaining(['agent_elo.db-wal', 'continuum_memory.db-wal', 'continuum_memory.db-shm']),
    );
    expect(legacyA.files.filter((f) => f.endsWith('-wal'))).toHaveLength(2);
    const clean = gen({ layout: 'consolidated', instance: 'a', quirks: false });
    expect(clean.files).toEqual(CONSOLIDATED.slice().sort());
    expect(clean.quirks.every((q) => q.kind === 'schema_versions')).toBe(true);
  });

  it('is deterministic: same options give identical row content', { timeout: 60_000 }, () => {
    const x = dumpAll(gen({ layout: 'both', instance: 'a', seed: 7 }));
    const y = dumpAll(gen({ layout: 'both', instance: 'a', seed: 7 }));
    expect(Object.keys(x).length).toBeGreaterThan(100);
    expect(y).toEqual(x);
    const z = dumpAll(gen({ layout: 'both', instance: 'a', seed: 8 }));
    expect(z['agent_elo.db:matches']).not.toBe(x['agent_elo.db:matches']);
  });

  it('manifest row counts match the files (read with their -wal)', () => {
    for (const m of [legacyA, consolidatedA]) {
      for (const [k, count] of Object.entries(m.rowCounts)) {
        const [file, table] = k.split(':') as [string, string];
        const db = openCopy(m.dir, file);
        expect(db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get(), k).toBe(count);
        db.close();
      }
    }
  });

  it('plants every recorded quirk, in exactly the recorded rows', { timeout: 60_000 }, () => {
    for (const m of [
      legacyA,
      legacyB,
      consolidatedA,
      gen({ layout: 'both', instance: 'b', quirks: false }),
      gen({ layout: 'consolidated', instance: 'b', scale: 0.05, seed: 3 }),
    ]) {
      checkQuirks(m);
    }
    const kinds = new Set(legacyA.quirks.map((q) => q.kind));
    for (const k of [
      'nul_byte',
      'invalid_utf8',
      'json_nonfinite',
      'json_nul',
      'json_invalid',
      'timestamp_unparseable',
      'type_mismatch',
      'null_key',
      'fk_orphan',
      'infinite_real',
      'large_json',
      'fts5',
      'wal_only_rows',
      'mixed_timestamps',
      'not_sqlite',
      'zero_byte',
      'schema_versions',
    ]) {
      expect(kinds.has(k), k).toBe(true);
    }
    expect(
      legacyB.quirks
        .filter((q) => q.kind === 'missing_column')
        .map((q) => q.column)
        .sort(),
    ).toEqual(['expires_at', 'red_line', 'red_line_reason']);
  });

  it('spot-checks quirks with plain SQL, as a reader would', () => {
    const keyOf = (kind: string, table: string): string =>
      legacyA.quirks.find((q) => q.kind === kind && q.table === table)?.key ?? '?';
    const get = (file: string, sql: string, ...params: unknown[]): unknown => {
      const db = openCopy(legacyA.dir, file);
      const v = db
        .prepare(sql)
        .pluck()
        .get(...params);
      db.close();
      return v;
    };
    const rowid = (k: string): number => Number(k.replace('rowid:', ''));
    expect(
      get('agent_elo.db', 'SELECT typeof(elo) FROM ratings WHERE agent_name = ?', keyOf('type_mismatch', 'ratings')),
    ).toBe('text');
    expect(
      get(
        'agent_elo.db',
        'SELECT agent_name IS NULL FROM ratings WHERE rowid = ?',
        rowid(keyOf('null_key', 'ratings')),
      ),
    ).toBe(1);
    expect(
      get(
        'agent_elo.db',
        "SELECT instr(scores, 'NaN') > 0 FROM matches WHERE id = ?",
        Number(keyOf('json_nonfinite', 'matches')),
      ),
    ).toBe(1);
    expect(
      get(
        'continuum_memory.db',
        'SELECT instr(content, char(0)) > 0 FROM continuum_memory WHERE id = ?',
        keyOf('nul_byte', 'continuum_memory'),
      ),
    ).toBe(1);
    expect(
      get(
        'continuum_memory.db',
        "SELECT instr(metadata, '-Infinity') > 0 FROM continuum_memory WHERE id = ?",
        keyOf('json_nonfinite', 'continuum_memory'),
      ),
    ).toBe(1);
    expect(
      get(
        'continuum_memory.db',
        "SELECT typeof(content) || ':' || instr(hex(content), 'FFFE') FROM continuum_memory WHERE id = ?",
        keyOf('invalid_utf8', 'continuum_memory'),
      ),
    ).toMatch(/^text:[1-9]/);
    expect(
      get(
        'aragora_insights.db',
        'SELECT consensus_reached FROM debate_summaries WHERE debate_id = ?',
        keyOf('type_mismatch', 'debate_summaries'),
      ),
    ).toBe(2);
    expect(
      get(
        'aragora_insights.db',
        'SELECT confidence = 9e999 FROM insights WHERE id = ?',
        keyOf('infinite_real', 'insights'),
      ),
    ).toBe(1);
    expect(
      get(
        'aragora_insights.db',
        'SELECT json_valid(metadata) FROM insights WHERE id = ?',
        keyOf('json_invalid', 'insights'),
      ),
    ).toBe(0);
    expect(
      get(
        'aragora_insights.db',
        'SELECT json_array_length(debate_ids) FROM pattern_clusters WHERE id = ?',
        Number(keyOf('large_json', 'pattern_clusters')),
      ),
    ).toBe(52_000);
    expect(
      get(
        'consensus_memory.db',
        'SELECT id IS NULL FROM consensus WHERE rowid = ?',
        rowid(keyOf('null_key', 'consensus')),
      ),
    ).toBe(1);
    expect(
      get(
        'consensus_memory.db',
        'SELECT timestamp FROM consensus WHERE id = ?',
        keyOf('timestamp_unparseable', 'consensus'),
      ),
    ).toBe('yesterday');
    expect(
      get(
        'consensus_memory.db',
        'SELECT length(data) > 2900000 FROM consensus WHERE id = ?',
        keyOf('large_json', 'consensus'),
      ),
    ).toBe(1);
    expect(
      get(
        'consensus_memory.db',
        "SELECT instr(data, '\\u0000') > 0 FROM dissent WHERE id = ?",
        keyOf('json_nul', 'dissent'),
      ),
    ).toBe(1);
    expect(
      get(
        'consensus_memory.db',
        'SELECT count(*) FROM dissent d WHERE NOT EXISTS (SELECT 1 FROM consensus c WHERE c.id = d.debate_id)',
      ),
    ).toBe(1);
    expect(
      get(
        'agent_personas.db',
        "SELECT created_at NOT LIKE '%T%' AND updated_at LIKE '%T%' FROM personas WHERE agent_name = ?",
        keyOf('mixed_timestamps', 'personas'),
      ),
    ).toBe(1);
  });

  it('keeps wal-only rows in the -wal: visible with it, absent from the .db alone', () => {
    for (const m of [legacyA, consolidatedA]) {
      const walQuirks = m.quirks.filter((q) => q.kind === 'wal_only_rows');
      expect(walQuirks.length).toBeGreaterThanOrEqual(8);
      for (const [k, count] of Object.entries(m.walOnlyRows)) {
        const [file, table] = k.split(':') as [string, string];
        expect(count).toBeGreaterThanOrEqual(3);
        const withWal = openCopy(m.dir, file);
        const dbOnly = openCopy(m.dir, file, true);
        const keysWith = new Set(cells(withWal, table, 'rowid').map((c) => c.key));
        const keysWithout = new Set(cells(dbOnly, table, 'rowid').map((c) => c.key));
        const onlyInWal = [...keysWith].filter((x) => !keysWithout.has(x));
        const recorded = walQuirks.filter((q) => q.file === file && q.table === table).map((q) => q.key);
        expect(new Set(onlyInWal), k).toEqual(new Set(recorded));
        expect(onlyInWal).toHaveLength(count);
        expect(keysWithout.size + count).toBe(m.rowCounts[k]);
        withWal.close();
        dbOnly.close();
      }
      expect(Object.keys(m.walOnlyRows)).toEqual(
        expect.arrayContaining([`${m.layout === 'legacy' ? 'agent_elo.db' : 'analytics.db'}:matches`]),
      );
    }
  });

  it('uses the real schema shapes (v2 ELO columns last, old continuum for b)', () => {
    const cols = (m: FixtureManifest, file: string, table: string): string[] => {
      const db = openCopy(m.dir, file);
      const names = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
      db.close();
      return names;
    };
    expect(cols(legacyA, 'agent_elo.db', 'ratings').slice(-4)).toEqual([
      'updated_at',
      'calibration_correct',
      'calibration_total',
      'calibration_brier_sum',
    ]);
    expect(cols(legacyA, 'continuum_memory.db', 'continuum_memory')).toContain('red_line');
    expect(cols(legacyB, 'continuum_memory.db', 'continuum_memory')).not.toContain('red_line');
    expect(cols(legacyB, 'continuum_memory.db', 'continuum_memory_archive')).toEqual([]);
    const db = openCopy(consolidatedA.dir, 'agents.db');
    expect(db.prepare('SELECT module, version FROM _schema_versions ORDER BY module').all()).toEqual([
      { module: 'genesis', version: 1 },
      { module: 'insights', version: 1 },
      { module: 'personas', version: 1 },
    ]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('hashes the genesis ledger like Python json.dumps(sort_keys=True)', () => {
    const db = openCopy(legacyA.dir, 'genesis.db');
    const events = db.prepare('SELECT * FROM genesis_events ORDER BY rowid').all() as Record<string, string | null>[];
    db.close();
    const byId = new Set(events.map((e) => e.event_id));
    let checked = 0;
    for (const e of events) {
      if (e.parent_event_id !== null) expect(byId.has(e.parent_event_id)).toBe(true);
      // Written out by hand (not with fixtures/pyjson) for events whose data is just {"debate_id": "<uuid>"}.
      const m = /^\{"debate_id": "([0-9a-f-]{36})"\}$/.exec(e.data ?? '');
      if (m === null) continue;
      const parent = e.parent_event_id === null ? 'null' : `"${e.parent_event_id}"`;
      const text = `{"data": {"debate_id": "${m[1]}"}, "event_id": "${e.event_id}", "event_type": "${e.event_type}", "parent_event_id": ${parent}, "timestamp": "${e.timestamp}"}`;
      expect(createHash('sha256').update(text).digest('hex')).toBe(e.content_hash);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('overlaps instances a and b the way real deployments do', () => {
    const rows = (m: FixtureManifest, file: string, sql: string): Record<string, unknown>[] => {
      const db = openCopy(m.dir, file);
      const r = db.prepare(sql).all() as Record<string, unknown>[];
      db.close();
      return r;
    };
    const col = (m: FixtureManifest, file: string, sql: string): Set<unknown> =>
      new Set(rows(m, file, sql).map((r) => Object.values(r)[0]));
    const inter = <T>(x: Set<T>, y: Set<T>): T[] => [...x].filter((v) => y.has(v));
    const agents = 'SELECT agent_name FROM ratings WHERE agent_name IS NOT NULL';
    expect(col(legacyA, 'agent_elo.db', agents)).toEqual(col(legacyB, 'agent_elo.db', agents));
    expect(
      inter(
        col(legacyA, 'agent_elo.db', 'SELECT id FROM matches'),
        col(legacyB, 'agent_elo.db', 'SELECT id FROM matches'),
      ).length,
    ).toBeGreaterThan(100);

    const posA = new Map(
      rows(legacyA, 'agent_personas.db', 'SELECT * FROM positions').map((r) => [r.id, JSON.stringify(r)]),
    );
    const posB = new Map(
      rows(legacyB, 'agent_personas.db', 'SELECT * FROM positions').map((r) => [r.id, JSON.stringify(r)]),
    );
    const shared = [...posA.keys()].filter((id) => posB.has(id));
    expect(shared.length).toBeGreaterThanOrEqual(4);
    for (const id of shared) expect(posA.get(id)).not.toBe(posB.get(id));
    const flips = 'SELECT id FROM detected_flips';
    expect(
      inter(col(legacyA, 'agent_personas.db', flips), col(legacyB, 'agent_personas.db', flips)).length,
    ).toBeGreaterThanOrEqual(2);
    const pops = 'SELECT population_id FROM populations';
    expect(inter(col(legacyA, 'genesis.db', pops), col(legacyB, 'genesis.db', pops))).toHaveLength(2);
    const active = 'SELECT population_id FROM active_population';
    expect(col(legacyA, 'genesis.db', active)).not.toEqual(col(legacyB, 'genesis.db', active));
    for (const [file, sql] of [
      ['agent_elo.db', "SELECT agent_name || '/' || domain FROM domain_calibration"],
      ['agent_elo.db', "SELECT agent_a || '/' || agent_b FROM agent_relationships"],
      ['agent_elo.db', "SELECT agent_name || '/' || domain || '/' || bucket_key FROM calibration_buckets"],
      ['aragora_insights.db', "SELECT category || '/' || pattern_text FROM pattern_clusters"],
    ] as const) {
      expect(inter(col(legacyA, file, sql), col(legacyB, file, sql)).length, sql).toBeGreaterThanOrEqual(5);
    }
    for (const [file, sql] of [
      ['consensus_memory.db', 'SELECT id FROM consensus WHERE id IS NOT NULL'],
      ['consensus_memory.db', 'SELECT id FROM dissent'],
      ['agent_elo.db', 'SELECT debate_id FROM matches'],
      ['aragora_insights.db', 'SELECT id FROM insights'],
      ['aragora_insights.db', 'SELECT debate_id FROM debate_summaries'],
    ] as const) {
      expect(inter(col(legacyA, file, sql), col(legacyB, file, sql)), sql).toEqual([]);
    }
    const pairs = rows(legacyA, 'agent_elo.db', 'SELECT agent_a, agent_b FROM agent_relationships') as {
      agent_a: string;
      agent_b: string;
    }[];
    expect(pairs.every((p) => p.agent_a < p.agent_b)).toBe(true);
  });
});
