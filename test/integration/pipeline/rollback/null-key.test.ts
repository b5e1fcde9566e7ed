import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { writeMatches } from '../../../helpers/elo-matches.js';
import { tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * `elo_matches` is keyed by `debate_id` (mappings/aragora/elo.json), which
 * SQLite allows NULL. Such a row loads under its id, and the ledger records it
 * under its `rowid:` handle, which names no target row: rollback called every
 * such row "deleted since" and refused the whole run (exit 5); --force left the
 * rows, and the table, behind.
 */
function matchesWithNullKeys(): string {
  const dir = join(tempDir('null-key'), 'data');
  mkdirSync(dir);
  const pair = '["claude", "gpt4"]';
  writeMatches(dir, [
    { debateId: 'd-1', winner: 'claude', participants: pair, createdAt: '2026-01-15 10:00:00' },
    { debateId: null, winner: 'gpt4', participants: pair, createdAt: '2026-01-15 11:00:00' },
    { debateId: 'd-2', winner: null, participants: '["gemini", "grok"]', createdAt: '2026-01-15 12:00:00' },
    { debateId: null, winner: 'grok', participants: '["gemini", "grok"]', createdAt: '2026-01-15 13:00:00' },
  ]);
  return dir;
}

function migrated(dir: string, url: string): string {
  const res = runCli(['migrate', '--data-dir', dir, '--database-url', url, '--instance', 'a', '--json', '-']);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { runId: string }).runId;
}

const winners = (url: string): Promise<(string | null)[]> =>
  withPg(url, async (c) => (await c.query('SELECT winner FROM elo_matches ORDER BY id')).rows.map((r) => r.winner));

describe('rollback of a run that loaded rows with a NULL in their key', () => {
  it('deletes them with the others (a dry run before the application wrote would drop the table), keeping the application’s own such row', async () => {
    const db = await createTestDatabase('rollback_null_key');
    try {
      const runId = migrated(matchesWithNullKeys(), db.url);
      const dry = runCli(['rollback', '--run', runId, '--dry-run', '--json', '-', '--database-url', db.url]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(
        (JSON.parse(dry.stdout) as { tables: { target: string; rowsDeleted: number; dropped: boolean }[] }).tables.find(
          (t) => t.target === 'elo_matches',
        ),
      ).toMatchObject({ rowsDeleted: 4, dropped: true });

      // The application's row, NULL key too, written after the run.
      await withPg(db.url, (c) => c.query("INSERT INTO elo_matches (debate_id, winner) VALUES (NULL, 'app')"));
      const res = runCli(['rollback', '--run', runId, '--yes', '--database-url', db.url]);
      expect(res.code, res.stderr + res.stdout).toBe(0);
      expect(await winners(db.url)).toEqual(['app']);
    } finally {
      await db.drop();
    }
  });

  it('refuses when the application changed one of them since, naming it, and changes nothing', async () => {
    const db = await createTestDatabase('rollback_null_key_changed');
    try {
      const runId = migrated(matchesWithNullKeys(), db.url);
      await withPg(db.url, (c) => c.query("UPDATE elo_matches SET winner = 'edited' WHERE winner = 'grok'"));
      const res = runCli(['rollback', '--run', runId, '--yes', '--database-url', db.url]);
      expect(res.code, res.stderr + res.stdout).toBe(5);
      expect(res.stderr).toMatch(/ROLLBACK_ROWS_CHANGED/);
      expect(res.stdout + res.stderr).toMatch(/rowid:\d+ \(a row with a NULL key: changed or deleted since\)/);
      expect(await winners(db.url)).toEqual(['claude', 'gpt4', null, 'edited']);
    } finally {
      await db.drop();
    }
  });
});
