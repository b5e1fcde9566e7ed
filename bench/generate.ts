/**
 * Aragora-shaped benchmark sources: `continuum_memory.db` and `agent_elo.db`
 * with Aragora's real DDL (borrowed from the fixtures, which copy it verbatim
 * from the reference), big enough to measure throughput and memory.
 *
 * Unlike the fixtures, the data holds no quirks (no NaN, no NUL, no bad
 * timestamps): every approach, including the plain CSV round trip and
 * pgloader, must be able to load all of it, so the benchmark compares speed
 * rather than error handling.
 *
 * The files end in WAL mode, fully checkpointed, with no -wal/-shm left
 * behind, which is how a cleanly stopped Aragora leaves them.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTINUUM_DDL, ELO_V1_DDL, ELO_V2_ALTERS, SCHEMA_VERSIONS_DDL } from '../fixtures/ddl.js';
import { Rng } from '../fixtures/prng.js';
import { dumps, pyf, type PyJson } from '../fixtures/pyjson.js';
import { AGENTS, claim, DOMAINS, prose, TIERS, topic } from '../fixtures/text.js';
import { Clock, DAY, HOUR } from '../fixtures/time.js';

export interface BenchSizes {
  readonly continuumRows: number;
  readonly matchesRows: number;
  readonly seed: number;
}

export interface BenchSource {
  readonly dir: string;
  readonly sizes: BenchSizes;
  /** Bytes per file name. */
  readonly files: Readonly<Record<string, number>>;
  readonly totalBytes: number;
}

/** Bump when the generated data changes, so a cached source of the old shape is rebuilt. */
const GENERATOR_VERSION = 1;
const BATCH = 50_000;
const START_MS = Date.UTC(2026, 0, 1);
const END_MS = Date.UTC(2026, 2, 7);
const TAGS = [
  'security',
  'rate-limit',
  'latency',
  'compliance',
  'billing',
  'migration',
  'incident',
  'design-review',
  'cost',
];

/** Bijective 32-bit mix: unique, random-looking id suffixes without a Set of millions of ids. */
function mix32(i: number, seed: number): number {
  let x = (i ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** LLM-ish text: mostly a few hundred bytes, a long tail up to 4 KB, with markdown-ish structure. */
function content(rng: Rng): string {
  const r = rng.next();
  const target = r < 0.88 ? rng.int(80, 520) : r < 0.985 ? rng.int(520, 1800) : rng.int(1800, 4000);
  let text = rng.chance(0.3) ? `## ${topic(rng)}\n\n` : '';
  while (text.length < target) {
    const k = rng.next();
    if (k < 0.12) text += `\n\n- ${claim(rng)}`;
    else if (k < 0.16) text += `\n\n**Verdict:** ${claim(rng)} Confidence: ${rng.int(40, 99)}%.`;
    else text += (text.length === 0 ? '' : ' ') + prose(rng, 1);
  }
  return text.length > 4096 ? text.slice(0, 4096) : text;
}

/** A metadata object like the ones ContinuumMemory callers pass (reference §2.2), ~100–200 bytes. */
export function metadata(rng: Rng, clock: Clock): string {
  const meta: Record<string, PyJson> = {
    source: rng.pick(['debate', 'evidence', 'knowledge_mound', 'user', 'consensus']),
    tenant_id: `t-${rng.int(1, 12)}`,
  };
  if (rng.chance(0.6)) {
    meta.km_node_id = `kn_${rng.hex(12)}`;
    meta.km_synced = rng.chance(0.8);
  }
  if (rng.chance(0.5)) meta.workspace_id = `ws-${rng.int(1, 40)}`;
  if (rng.chance(0.5)) meta.tags = rng.sample(TAGS, rng.int(1, 3));
  if (rng.chance(0.3)) meta.user_id = `u-${rng.int(1000, 9999)}`;
  if (rng.chance(0.2)) meta.cross_references = [`debate_${rng.hex(8)}`, `evidence_${rng.hex(8)}`];
  if (rng.chance(0.2)) meta.last_prewarm = clock.iso(clock.random());
  if (rng.chance(0.3)) meta.confidence = pyf(rng.next());
  return dumps(meta);
}

/** Runs a DDL script with its CREATE INDEX statements held back, to build indexes once after the bulk insert. */
export function splitIndexes(ddl: string): { tables: string; indexes: string } {
  const stmts = ddl
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const isIndex = (s: string): boolean => /^CREATE\s+(UNIQUE\s+)?INDEX/i.test(s);
  return {
    tables: stmts.filter((s) => !isIndex(s)).join(';\n') + ';',
    indexes: stmts.filter(isIndex).join(';\n') + ';',
  };
}

export function openForBulk(path: string): Database.Database {
  const db = new Database(path);
  // Generation only: no rollback journal, no fsync. The finished file is switched to WAL below.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144'); // 256 MB page cache: index builds sort in memory
  return db;
}

export function finish(db: Database.Database, indexes: string): void {
  db.exec(indexes);
  db.exec('ANALYZE');
  // Aragora's get_wal_connection leaves files in WAL mode; checkpoint so nothing is pending in -wal.
  db.pragma('journal_mode = WAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close(); // last connection closing a WAL db deletes -wal and -shm
}

function bulkInsert(
  db: Database.Database,
  sql: string,
  rows: number,
  row: (i: number) => unknown[],
  label: string,
): void {
  const stmt = db.prepare(sql);
  for (let start = 0; start < rows; start += BATCH) {
    db.exec('BEGIN');
    const end = Math.min(rows, start + BATCH);
    for (let i = start; i < end; i++) stmt.run(row(i));
    db.exec('COMMIT');
    if (end % 250_000 === 0 || end === rows) process.stderr.write(`  ${label}: ${end.toLocaleString('en-US')} rows\n`);
  }
}

function writeContinuum(path: string, n: number, seed: number): void {
  const db = openForBulk(path);
  const { tables, indexes } = splitIndexes(CONTINUUM_DDL);
  db.exec(SCHEMA_VERSIONS_DDL);
  db.exec(tables);
  db.prepare('INSERT INTO _schema_versions (module, version) VALUES (?, ?)').run('continuum_memory', 3);
  const rng = new Rng(`bench:${seed}:continuum`);
  const clock = new Clock(rng, START_MS, END_MS, 0);
  const prefixes = ['km_node_', 'km:node_', 'evidence_', 'mound_', 'debate_outcome_'];
  const tierWeights = [0.2, 0.5, 0.85, 1]; // fast, medium, slow, glacial (cumulative)
  const cols =
    'id, tier, content, importance, surprise_score, consolidation_score, update_count, success_count, failure_count, semantic_centroid, last_promotion_at, created_at, updated_at, metadata, expires_at, red_line, red_line_reason';
  bulkInsert(
    db,
    `INSERT INTO continuum_memory (${cols}) VALUES (${cols
      .split(',')
      .map(() => '?')
      .join(', ')})`,
    n,
    (i) => {
      const prefix = rng.pick(prefixes);
      // The 8 mixed hex digits are unique per row; the random tail only varies the length like real ids.
      const id =
        prefix === 'debate_outcome_'
          ? `${prefix}${hex8(mix32(i, seed))}`
          : `${prefix}${hex8(mix32(i, seed))}${rng.hex(4)}`;
      const t = rng.next();
      const tier = TIERS[tierWeights.findIndex((w) => t < w)] ?? 'slow';
      const createdMs = clock.at(i / n, HOUR);
      const updatedMs = Math.min(createdMs + rng.int(0, 3 * DAY), END_MS);
      const updates = rng.int(0, 20);
      const red = rng.chance(0.02);
      return [
        id,
        tier,
        content(rng),
        rng.chance(0.01) ? null : rng.next(), // Python NaN is stored as NULL by SQLite
        rng.next(),
        rng.next(),
        updates,
        rng.int(0, updates),
        rng.int(0, 5),
        null, // semantic_centroid: never written by Aragora
        rng.chance(0.3) ? clock.iso(updatedMs) : null,
        clock.iso(createdMs),
        clock.iso(updatedMs),
        metadata(rng, clock),
        null, // expires_at: never written by Aragora
        red ? 1 : 0,
        red ? 'operator pinned: compliance evidence' : '',
      ];
    },
    'continuum_memory',
  );
  finish(db, indexes);
}

function writeElo(path: string, n: number, seed: number): void {
  const db = openForBulk(path);
  const { tables, indexes } = splitIndexes(ELO_V1_DDL);
  db.exec(SCHEMA_VERSIONS_DDL);
  db.exec(tables);
  // v1→v2 appends the calibration columns, so they sit after updated_at as in real files.
  for (const stmt of ELO_V2_ALTERS) db.exec(stmt);
  db.prepare('INSERT INTO _schema_versions (module, version) VALUES (?, ?)').run('elo', 2);
  const rng = new Rng(`bench:${seed}:elo`);
  const clock = new Clock(rng, START_MS, END_MS, 0);
  const rating = db.prepare(
    `INSERT INTO ratings (agent_name, elo, domain_elos, wins, losses, draws, debates_count, critiques_accepted, critiques_total, updated_at, calibration_correct, calibration_total, calibration_brier_sum)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const agent of AGENTS) {
    const domainElos: Record<string, PyJson> = {};
    for (const d of rng.sample(DOMAINS, 3)) domainElos[d] = pyf(rng.float(1350, 1700));
    const [w, l, d] = [rng.int(100, 5000), rng.int(100, 5000), rng.int(0, 500)];
    const total = rng.int(50, 900);
    rating.run(
      agent,
      rng.float(1350, 1700),
      dumps(domainElos),
      w,
      l,
      d,
      w + l + d,
      rng.int(0, 900),
      rng.int(900, 2000),
      clock.iso(END_MS - rng.int(0, DAY)),
      rng.int(0, total),
      total,
      rng.float(0, total / 4),
    );
  }
  bulkInsert(
    db,
    'INSERT INTO matches (debate_id, winner, participants, domain, scores, elo_changes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    n,
    (i) => {
      const participants = rng.sample(AGENTS, rng.int(2, 4));
      const scores: Record<string, PyJson> = {};
      const changes: Record<string, PyJson> = {};
      for (const a of participants) {
        scores[a] = pyf(rng.next());
        changes[a] = pyf(rng.float(-32, 32));
      }
      return [
        rng.uuid4(),
        rng.chance(0.1) ? null : rng.pick(participants), // NULL winner: a draw
        dumps(participants),
        rng.pick(DOMAINS),
        dumps(scores),
        dumps(changes),
        clock.utc(clock.at(i / n, HOUR)), // SQLite CURRENT_TIMESTAMP: UTC, no fraction
      ];
    },
    'matches',
  );
  finish(db, indexes);
}

/** Writes both files into `dir` (created if missing; existing files are replaced). */
export function generateBenchSource(dir: string, sizes: BenchSizes): void {
  mkdirSync(dir, { recursive: true });
  for (const name of ['continuum_memory.db', 'agent_elo.db']) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, name + suffix), { force: true });
  }
  writeContinuum(join(dir, 'continuum_memory.db'), sizes.continuumRows, sizes.seed);
  writeElo(join(dir, 'agent_elo.db'), sizes.matchesRows, sizes.seed);
}

export function sizesKey(sizes: BenchSizes): string {
  return `${sizes.continuumRows}-${sizes.matchesRows}-${sizes.seed}`;
}

/**
 * A cached generated source: `<base>/src`, made by `write(dir)` first when
 * missing or stamped with another `stamp` (generator version and sizes).
 * Generation goes to a temp dir renamed at the end, so an interrupted run
 * never leaves a half file to reuse.
 */
export function ensureGenerated(
  base: string,
  stamp: Readonly<Record<string, unknown>>,
  write: (dir: string) => void,
): string {
  const dir = join(base, 'src');
  const stampPath = join(base, 'source.json');
  const found = existsSync(stampPath)
    ? (JSON.parse(readFileSync(stampPath, 'utf8')) as Record<string, unknown>)
    : undefined;
  const same = found !== undefined && Object.entries(stamp).every(([k, v]) => found[k] === v);
  if (!same || !existsSync(dir)) {
    const tmp = join(base, `src.tmp-${process.pid}`);
    const started = Date.now();
    rmSync(tmp, { recursive: true, force: true });
    write(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    writeFileSync(stampPath, `${JSON.stringify({ ...stamp, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
  }
  return dir;
}

/** Sizes of the named files in `dir`. */
export function describeSource(dir: string, sizes: BenchSizes, names: readonly string[]): BenchSource {
  const files: Record<string, number> = {};
  for (const name of names) files[name] = statSync(join(dir, name)).size;
  return { dir, sizes, files, totalBytes: Object.values(files).reduce((a, b) => a + b, 0) };
}

/** The cached source under `<root>/<sizes>-<seed>/src`, generated first when missing or made by another generator version. */
export function ensureBenchSource(root: string, sizes: BenchSizes): BenchSource {
  const dir = ensureGenerated(join(root, sizesKey(sizes)), { version: GENERATOR_VERSION, ...sizes }, (tmp) => {
    process.stderr.write(
      `generating ${sizes.continuumRows.toLocaleString('en-US')} + ${sizes.matchesRows.toLocaleString('en-US')} rows into ${join(root, sizesKey(sizes), 'src')}\n`,
    );
    generateBenchSource(tmp, sizes);
  });
  return describeSource(dir, sizes, ['continuum_memory.db', 'agent_elo.db']);
}
