import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../../helpers/auto-mapping.js';
import Database from 'better-sqlite3';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * A key PostgreSQL cannot index. A b-tree entry holds at most 2,704 bytes
 * after the server compresses the value, so a row whose key is longer than
 * that once compressed cannot be stored under the key. Before, plan said GO
 * and migrate loaded the table, then failed to add its primary key with exit
 * 1, advising a resume that failed the same way. Now plan counts the row as
 * a reject (key_too_large) and migrate rejects exactly that row, with its
 * original in the reject file; a long key the server's compression brings
 * under the limit loads. The same holds for a column under one of the
 * application's indexes: a long value there failed the index's build after
 * every row had loaded, with exit 1.
 */
const SHORT = 40;
/** 8,000 characters of base64 of random bytes: compressed, still far above 2,704 bytes. */
const RANDOM_KEY = randomBytes(6000).toString('base64');
/** 9,000 bytes that compress to a few dozen. */
const REPEATED_KEY = 'a'.repeat(9000);

function makeSource(): AutoMappedSource {
  return autoMappedSource('oversized-keys', 'notes.db', (db) => {
    db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO notes VALUES (?, ?)');
    for (let i = 0; i < SHORT; i++) insert.run(`note-${i}`, `body ${i}`);
    insert.run(RANDOM_KEY, 'random key');
    insert.run(REPEATED_KEY, 'repeated key');
  });
}

interface TableCounts {
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
}

function counts(stdout: string): number[][] {
  return (JSON.parse(stdout) as { tables: TableCounts[] }).tables.map((t) => [t.rowsLoaded, t.rowsRejected]);
}

describe('a key too large for an index entry', () => {
  it('in a table the run creates: plan counts it, migrate rejects that row alone and adds the key', async () => {
    const source = makeSource();
    const db = await createTestDatabase('oversized_keys');
    try {
      const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(plan.code, plan.stderr).toBe(3);
      expect(counts(plan.stdout)).toEqual([[SHORT + 1, 1]]);
      const finding = (
        JSON.parse(plan.stdout) as { findings: { kind: string; count: number; action: string }[] }
      ).findings.find((f) => f.kind === 'key_too_large');
      expect(finding).toMatchObject({ count: 1, action: 'reject' });

      const rejectDir = tempDir('oversized-keys-rejects');
      const migrate = runCli(['migrate', '--json', '-', '--reject-dir', rejectDir, ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(3);
      expect(counts(migrate.stdout)).toEqual([[SHORT + 1, 1]]);
      const report = JSON.parse(migrate.stdout) as { verification: { ok: boolean }; rejectFiles: string[] };
      expect(report.verification.ok).toBe(true);

      const rejects = readFileSync(report.rejectFiles[0] as string, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; row: { id: unknown; body: unknown } });
      expect(rejects).toHaveLength(1);
      expect(rejects[0]?.kind).toBe('key_too_large');
      expect(rejects[0]?.row).toEqual({ id: { text: RANDOM_KEY }, body: { text: 'random key' } });

      await withPg(db.url, async (c) => {
        const ids = (await c.query<{ id: string }>('SELECT id FROM notes')).rows.map((r) => r.id);
        expect(ids).toHaveLength(SHORT + 1);
        expect(ids).toContain(REPEATED_KEY);
        const pk = await c.query("SELECT 1 FROM pg_index WHERE indrelid = 'notes'::regclass AND indisprimary");
        expect(pk.rowCount).toBe(1);
      });
    } finally {
      await db.drop();
    }
  });

  it('in a table that exists with its keys, under a UNIQUE the mapping declares: the rows are rejected before COPY', async () => {
    const longBody = randomBytes(6000).toString('base64');
    const source = autoMappedSource('oversized-keys-body', 'notes.db', (sqlite) => {
      sqlite.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)');
      const insert = sqlite.prepare('INSERT INTO notes VALUES (?, ?)');
      for (let i = 0; i < SHORT; i++) insert.run(`note-${i}`, `body ${i}`);
      insert.run(RANDOM_KEY, 'random key');
      insert.run('long-body', longBody);
    });
    // The mapping declares body UNIQUE, as the target table does.
    const mappingFile = join(source.maps, 'notes.json');
    const set = JSON.parse(readFileSync(mappingFile, 'utf8')) as { tables: { unique: string[][] }[] };
    for (const t of set.tables) t.unique = [['body']];
    writeFileSync(mappingFile, JSON.stringify(set));
    const db = await createTestDatabase('oversized_keys');
    try {
      await withPg(db.url, (c) => c.query('CREATE TABLE notes (id text PRIMARY KEY, body text UNIQUE)'));
      const args = sourceArgs(source, db.url);
      const plan = runCli(['plan', '--json', '-', ...args]);
      expect(plan.code, plan.stderr).toBe(3);
      expect(counts(plan.stdout)).toEqual([[SHORT, 2]]);

      const migrate = runCli(['migrate', '--json', '-', '--reject-dir', tempDir('oversized-keys-rejects'), ...args]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(3);
      expect(counts(migrate.stdout)).toEqual([[SHORT, 2]]);
      const report = JSON.parse(migrate.stdout) as { verification: { ok: boolean }; rejectFiles: string[] };
      expect(report.verification.ok).toBe(true);
      const reasons = readFileSync(report.rejectFiles[0] as string, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { column: string; kind: string }).column);
      expect(reasons.sort()).toEqual(['body', 'id']);
      const rows = await withPg(db.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n);
      expect(rows).toBe(SHORT);
    } finally {
      await db.drop();
    }
  });

  it("in a column under one of an Aragora table's indexes: the row is rejected and the index is built", async () => {
    const dir = makeInstance({ layout: 'legacy', instance: 'a' }).dir;
    const longTier = randomBytes(6000).toString('base64');
    const sqlite = new Database(join(dir, 'continuum_memory.db'));
    const id = (sqlite.prepare('SELECT id FROM continuum_memory ORDER BY rowid LIMIT 1').pluck().get() as string) ?? '';
    sqlite.prepare('UPDATE continuum_memory SET tier = ? WHERE id = ?').run(longTier, id);
    sqlite.close();
    const db = await createTestDatabase('oversized_keys');
    try {
      const args = ['--data-dir', dir, '--database-url', db.url];
      const plan = runCli(['plan', '--json', '-', ...args]);
      expect(plan.code, plan.stderr).toBe(3);
      const findings = (JSON.parse(plan.stdout) as { findings: { kind: string; table: string; count: number }[] })
        .findings;
      expect(findings.filter((f) => f.kind === 'key_too_large')).toMatchObject([
        { table: 'continuum_memory', count: 1 },
      ]);

      const migrate = runCli(['migrate', '--json', '-', '--reject-dir', tempDir('oversized-keys-rejects'), ...args]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(3);
      expect((JSON.parse(migrate.stdout) as { verification: { ok: boolean } }).verification.ok).toBe(true);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT 1 FROM continuum_memory WHERE id = $1', [id])).rowCount).toBe(0);
        expect((await c.query("SELECT to_regclass('idx_continuum_tier') IS NOT NULL AS built")).rows[0].built).toBe(
          true,
        );
      });
    } finally {
      await db.drop();
    }
  });

  it('under an index of the target table the mapping does not declare: migrate stops with a code (exit 5) and resumes once it is dropped', async () => {
    const longBody = randomBytes(6000).toString('base64');
    const source = autoMappedSource('oversized-keys-undeclared', 'notes.db', (sqlite) => {
      sqlite.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)');
      const insert = sqlite.prepare('INSERT INTO notes VALUES (?, ?)');
      for (let i = 0; i < SHORT; i++) insert.run(`note-${i}`, `body ${i}`);
      insert.run('long-body', longBody);
    });
    const db = await createTestDatabase('oversized_keys');
    try {
      await withPg(db.url, async (c) => {
        await c.query('CREATE TABLE notes (id text PRIMARY KEY, body text)');
        await c.query('CREATE INDEX notes_body_idx ON notes (body)');
      });
      const stopped = runCli(['migrate', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(stopped.code, stopped.stderr + stopped.stdout.slice(-1500)).toBe(5);
      const failed = JSON.parse(stopped.stdout) as { state: string; error: { code: string; message: string } };
      expect(failed.state).toBe('failed');
      expect(failed.error.code).toBe('TARGET_LIMIT_EXCEEDED');
      expect(failed.error.message).toContain('notes_body_idx');
      const text = runCli(['migrate', ...sourceArgs(source, db.url)]);
      expect(text.code).toBe(5);
      expect(text.stdout + text.stderr).toContain('failed: TARGET_LIMIT_EXCEEDED: a row or a statement passed a limit');
      expect(text.stdout + text.stderr).toContain('next: A row passed a limit of PostgreSQL');
      expect(text.stdout + text.stderr).not.toMatch(/This is a bug/);

      await withPg(db.url, (c) => c.query('DROP INDEX notes_body_idx'));
      const resumed = runCli(['migrate', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(resumed.code, resumed.stderr + resumed.stdout.slice(-1500)).toBe(0);
      const rows = await withPg(db.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n);
      expect(rows).toBe(SHORT + 1);
    } finally {
      await db.drop();
    }
  });
});
