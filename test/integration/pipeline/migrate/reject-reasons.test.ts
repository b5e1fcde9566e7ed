import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * A reject's reason is made by this process, and can hold what jsonb refuses:
 * V8's JSON.parse error quotes the UTF-16 unit it stopped at, so a JSON column
 * holding an emoji gave the reason "Unexpected token '\ud83d'", half a
 * surrogate pair. The batch's record (src/ledger/batches.ts) failed as a
 * whole, and migrate stopped with exit 1 where plan had said exit 3.
 */
describe('a reject whose reason quotes half of an emoji', () => {
  it('goes to the reject file and the ledger like any other, its value intact; migrate exits 3 as plan said', async () => {
    const dataDir = tempDir('reject-reasons');
    const file = new Database(join(dataDir, 'notes.db'));
    file.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, meta JSON)');
    const insert = file.prepare('INSERT INTO notes (id, meta) VALUES (?, ?)');
    for (const [id, meta] of [
      [1, '{"mood": "😀"}'],
      [2, '😀'],
      [3, '{"a": 😀}'],
      [4, '[1, 2]'],
    ] as const)
      insert.run(id, meta);
    file.close();
    const db = await createTestDatabase('reject-reasons');
    try {
      const rejectDir = tempDir('reject-reasons-out');
      const args = ['--auto', '--data-dir', dataDir, '--database-url', db.url];
      const plan = runCli(['plan', ...args]);
      const migrate = runCli(['migrate', ...args, '--reject-dir', rejectDir]);
      expect(plan.code, plan.stdout).toBe(3);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(3);
      expect(migrate.stdout).toContain('loaded and verified');

      const [runDir] = readdirSync(rejectDir);
      const lines = readdirSync(join(rejectDir, runDir as string)).flatMap((f) =>
        readFileSync(join(rejectDir, runDir as string, f), 'utf8')
          .trim()
          .split('\n'),
      );
      const rejected = lines.map(
        (l) => JSON.parse(l) as { rowid: string; kind: string; reason: string; row: { meta: { text: string } } },
      );
      expect(rejected.map((r) => [r.rowid, r.kind, r.row.meta.text])).toEqual([
        ['2', 'json_invalid', '😀'],
        ['3', 'json_invalid', '{"a": 😀}'],
      ]);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT id, meta::text FROM notes ORDER BY id')).rows).toEqual([
          { id: '1', meta: '{"mood": "😀"}' },
          { id: '4', meta: '[1, 2]' },
        ]);
        const reasons = await c.query<{ rowid: string; reason: string }>(
          'SELECT source_rowid::text AS rowid, reason FROM aragora_migrate.rejects ORDER BY source_rowid',
        );
        expect(reasons.rows.map((r) => r.rowid)).toEqual(['2', '3']);
        // The half emoji V8 quoted is U+FFFD, as in any text PostgreSQL holds.
        for (const r of reasons.rows) expect(r.reason).toMatch(/^invalid JSON: .*\uFFFD/);
      });
    } finally {
      await db.drop();
    }
  });
});
