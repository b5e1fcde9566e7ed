import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeAutoMapping } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { tableDigests, withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * A row is named in the ledger by its key (src/tables/target-key.ts), and
 * rollback and verify find it again by that name. Keys that are not plain
 * text or integers (a text holding a NUL byte, a blob, a real, a timestamp, a
 * boolean, a composite key with a NUL byte) go through the whole cycle on the
 * generic path: two instances merge into the same tables, verify names a
 * changed row by its key, and rolling back the second instance leaves the
 * first one's rows exactly.
 */

const FILE = 'keys.db';

type Row = readonly unknown[];

const TABLES: readonly { name: string; ddl: string; a: readonly Row[]; b: readonly Row[] }[] = [
  {
    name: 'notes',
    ddl: 'CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)',
    a: [['a-1', 'x']],
    b: [
      ['b\u00001', 'nul in the key'],
      ['b-2', 'y'],
    ],
  },
  {
    name: 'things',
    ddl: 'CREATE TABLE things (id BLOB PRIMARY KEY, body TEXT)',
    a: [[Buffer.from([0x01, 0x02]), 'x']],
    b: [
      [Buffer.from([0xff]), 'y'],
      [Buffer.from([0x00, 0x5c]), 'nul and backslash'],
    ],
  },
  {
    name: 'readings',
    ddl: 'CREATE TABLE readings (id REAL PRIMARY KEY, body TEXT)',
    a: [[1.5, 'x']],
    b: [
      [1e-7, 'printed 1e-07 by PostgreSQL'],
      [0.1 + 0.2, 'seventeen digits'],
    ],
  },
  {
    name: 'events',
    ddl: 'CREATE TABLE events (at TIMESTAMP PRIMARY KEY, body TEXT)',
    a: [['2024-01-02 03:04:05', 'x']],
    b: [
      ['2024-06-01T10:00:00.123456Z', 'y'],
      ['2024-06-02 00:00:00', 'z'],
    ],
  },
  {
    name: 'flags',
    ddl: 'CREATE TABLE flags (id BOOLEAN PRIMARY KEY, body TEXT)',
    a: [[0, 'x']],
    b: [[1, 'y']],
  },
  {
    name: 'pairs',
    ddl: 'CREATE TABLE pairs (a TEXT, b INTEGER, body TEXT, PRIMARY KEY (a, b))',
    a: [['p', 1, 'x']],
    b: [
      ['p\u0000q', 1, 'nul in a composite key'],
      ['p', 2, 'y'],
    ],
  },
];

function makeSource(dir: string, side: 'a' | 'b'): void {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, FILE));
  for (const t of TABLES) {
    db.exec(t.ddl);
    const insert = db.prepare(`INSERT INTO ${t.name} VALUES (${t[side][0]?.map(() => '?').join(', ')})`);
    for (const row of t[side]) insert.run(...row);
  }
  db.close();
}

describe('keys of every type: migrate, verify and rollback find rows by their ledger key', () => {
  const pg = useTestDatabase('keys_types');
  const a = tempDir('keys-types-a');
  const b = tempDir('keys-types-b');
  const maps = tempDir('keys-types-maps');
  const common = (dir: string, instance: string): string[] => [
    '--data-dir',
    dir,
    '--mappings',
    maps,
    '--database-url',
    pg.url,
    '--instance',
    instance,
  ];

  beforeAll(() => {
    makeSource(a, 'a');
    makeSource(b, 'b');
    writeAutoMapping(maps, 'keys', 'keys of every type', join(a, FILE));
  });

  it('the second instance merges and verifies, verify names its changed row, and its rollback leaves the first instance exactly', async () => {
    const first = runCli(['migrate', '--quiet', ...common(a, 'a')]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const afterA = await tableDigests(pg.url);

    const second = runCli(['migrate', '--quiet', '--json', '-', ...common(b, 'b')]);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const report = JSON.parse(second.stdout) as { runId: string };
    const rows = await withPg(pg.url, async (c) => {
      const out: Record<string, number> = {};
      for (const t of TABLES) out[t.name] = Number((await c.query(`SELECT count(*) AS n FROM ${t.name}`)).rows[0].n);
      return out;
    });
    expect(rows).toEqual(Object.fromEntries(TABLES.map((t) => [t.name, t.a.length + t.b.length])));

    // A row of the blob table changed behind the tool's back: verify names it by its key, as the ledger does.
    await withPg(pg.url, (c) => c.query(`UPDATE things SET body = 'changed' WHERE id = '\\xff'::bytea`));
    const verify = runCli(['verify', '--from-source', '--json', '-', ...common(b, 'b')]);
    expect(verify.code, verify.stderr).not.toBe(0);
    const things = (
      JSON.parse(verify.stdout) as {
        tables: { target: string; missing: number; changed: number; extra: number; mismatches: object[] }[];
      }
    ).tables.find((t) => t.target === 'things');
    expect(things).toMatchObject({
      missing: 0,
      changed: 1,
      extra: 0,
      mismatches: [{ key: '\\xff', kind: 'changed', columns: ['body'] }],
    });
    await withPg(pg.url, (c) => c.query(`UPDATE things SET body = 'y' WHERE id = '\\xff'::bytea`));
    const again = runCli(['verify', '--from-source', ...common(b, 'b')]);
    expect(again.code, again.stderr + again.stdout).toBe(0);

    // The edit above is a change since the run: rollback names that row, and only it, by the same key.
    const args = ['rollback', '--run', report.runId, '--mappings', maps, '--database-url', pg.url];
    const refused = runCli(args);
    expect(refused.code, refused.stderr + refused.stdout).toBe(5);
    expect(refused.stdout).toMatch(/refused: 1 row\(s\) written by run \S+ changed since \(things: \\xff\)/);
    const rollback = runCli([...args, '--force']);
    expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
    expect(await tableDigests(pg.url)).toEqual(afterA);
  });
});
