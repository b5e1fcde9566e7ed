import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** sha256 of every file under `dir`, by relative path: a data dir's exact state. */
export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `am-${prefix}-`));
}

/** The repository's root, wherever a test file sits under test/. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** pgloader's SQLite test files, in the shared folder beside the checkout (the project's CI has it; a user's clone does not). */
export const PEER_CORPUS = join(REPO_ROOT, '..', 'shared', 'peer-corpus', 'pgloader-sqlite');

/**
 * Why tests on the peer corpus cannot run here, or null when they can. Such
 * tests skip with this reason in their title (`describe.skipIf`), so a fresh
 * clone's `npm test` passes and says what it left out.
 */
export const PEER_CORPUS_MISSING: string | null = existsSync(PEER_CORPUS)
  ? null
  : `skipped: pgloader's test files are not at ${PEER_CORPUS} (they sit beside the project's own checkout)`;
if (PEER_CORPUS_MISSING !== null) console.warn(PEER_CORPUS_MISSING);

/** A describe title that says why it was skipped, when it is. */
export function peerCorpusTitle(title: string): string {
  return PEER_CORPUS_MISSING === null ? title : `${title} (${PEER_CORPUS_MISSING})`;
}

/** The shared peer corpus, copied so no test can touch the originals. */
export function peerCorpusCopy(): string {
  const src = PEER_CORPUS;
  const dir = tempDir('peer');
  for (const f of readdirSync(src)) {
    if (/\.(sqlite|db)$/.test(f)) cpSync(join(src, f), join(dir, f));
  }
  return dir;
}
