import Database from 'better-sqlite3';
import { join } from 'node:path';

/** One `matches` row as Aragora's ELO store writes it; a NULL `debateId` is what the key allows. */
export interface MatchRow {
  readonly debateId: string | null;
  readonly winner: string | null;
  readonly participants: string;
  readonly createdAt: string;
}

/**
 * Writes `agent_elo.db` into `dir` with Aragora's `matches` table (its
 * columns and `debate_id TEXT UNIQUE`, which SQLite lets hold NULLs) and these rows.
 */
export function writeMatches(dir: string, rows: readonly MatchRow[]): void {
  const db = new Database(join(dir, 'agent_elo.db'));
  db.exec(`CREATE TABLE matches (id INTEGER PRIMARY KEY AUTOINCREMENT, debate_id TEXT UNIQUE, winner TEXT, participants TEXT,
             domain TEXT, scores TEXT, elo_changes TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)`);
  const insert = db.prepare('INSERT INTO matches (debate_id, winner, participants, created_at) VALUES (?, ?, ?, ?)');
  for (const r of rows) insert.run(r.debateId, r.winner, r.participants, r.createdAt);
  db.close();
}
