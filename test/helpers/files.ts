import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

/** The shared peer corpus, copied so no test can touch the originals. */
/** pgloader's SQLite test files, in the shared folder beside the checkout. */
/** The repository's root, wherever a test file sits under test/. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export const PEER_CORPUS = join(import.meta.dirname, '..', '..', '..', 'shared', 'peer-corpus', 'pgloader-sqlite');

export function peerCorpusCopy(): string {
  const src = PEER_CORPUS;
  const dir = tempDir('peer');
  for (const f of readdirSync(src)) {
    if (/\.(sqlite|db)$/.test(f)) cpSync(join(src, f), join(dir, f));
  }
  return dir;
}
