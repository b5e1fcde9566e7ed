import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { writeMatches } from '../../../helpers/elo-matches.js';
import { tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * Two instances whose files hold rows with a NULL in their key:
 * `elo_matches.debate_id` (a one-column text key) and
 * `position_history.round_num` (part of a four-column key). Such a row is
 * recorded under its `rowid:` handle, which no target row's key reads as, so
 * verify counted the other instance's as rows of this run: the second
 * instance's migrate ended with exit 4 ("1 missing") and a verify of the first
 * after it failed alike, though every row was where it belonged.
 */
function instance(name: string, tag: string): string {
  const dir = join(tempDir(`null-key-${name}`), 'data');
  mkdirSync(dir);
  writeMatches(dir, [
    { debateId: `${tag}-1`, winner: 'claude', participants: '["claude", "gpt4"]', createdAt: '2026-01-15 10:00:00' },
    { debateId: null, winner: `${tag} winner`, participants: '["claude", "gpt4"]', createdAt: '2026-01-15 11:00:00' },
    { debateId: null, winner: null, participants: '["gemini"]', createdAt: '2026-01-15 12:00:00' },
  ]);
  const insights = new Database(join(dir, 'aragora_insights.db'));
  insights.exec(`CREATE TABLE position_history (id INTEGER PRIMARY KEY AUTOINCREMENT, debate_id TEXT NOT NULL, agent_name TEXT NOT NULL,
                   position_type TEXT NOT NULL, position_text TEXT NOT NULL, round_num INTEGER DEFAULT 0, confidence REAL DEFAULT 0.5,
                   created_at TEXT DEFAULT CURRENT_TIMESTAMP, was_winning_position INTEGER DEFAULT NULL, verified_correct INTEGER DEFAULT NULL,
                   UNIQUE(debate_id, agent_name, position_type, round_num));
                 INSERT INTO position_history (debate_id, agent_name, position_type, position_text, round_num, created_at) VALUES
                   ('shared', 'claude', 'final', 'keep it', 1, '2026-01-15 10:00:00'),
                   ('shared', 'claude', 'final', '${tag} says so', NULL, '2026-01-15 10:05:00');`);
  insights.close();
  return dir;
}

describe('verify with another instance’s rows whose key has a NULL part', () => {
  it('passes for both instances, and rolling back the second leaves the first one’s rows', async () => {
    const db = await createTestDatabase('verify_null_key_runs');
    try {
      const args = (dir: string, inst: string): string[] => [
        '--data-dir',
        dir,
        '--database-url',
        db.url,
        '--instance',
        inst,
      ];
      const a = instance('a', 'a');
      const b = instance('b', 'b');
      const ran: string[] = [];
      for (const [dir, inst] of [
        [a, 'a'],
        [b, 'b'],
      ] as const) {
        const res = runCli(['migrate', ...args(dir, inst), '--json', '-']);
        expect(res.code, res.stderr + res.stdout).toBe(0);
        ran.push((JSON.parse(res.stdout) as { runId: string }).runId);
      }
      const verifyA = runCli(['verify', ...args(a, 'a')]);
      expect(verifyA.code, verifyA.stderr + verifyA.stdout).toBe(0);
      const rollbackB = runCli(['rollback', '--run', ran[1] as string, '--yes', '--database-url', db.url]);
      expect(rollbackB.code, rollbackB.stderr + rollbackB.stdout).toBe(0);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT winner FROM elo_matches ORDER BY id')).rows.map((r) => r.winner)).toEqual([
          'claude',
          'a winner',
          null,
        ]);
        expect(
          (await c.query('SELECT position_text FROM position_history ORDER BY id')).rows.map((r) => r.position_text),
        ).toEqual(['keep it', 'a says so']);
      });
      expect(runCli(['verify', ...args(a, 'a')]).code).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
