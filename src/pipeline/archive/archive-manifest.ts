import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../../util/durable-file.js';

/**
 * The record an operator (or a script with `sha256sum`) reads in the backup
 * dir without the database: which files of which run are there, with size and
 * sha256. The ledger (aragora_migrate.archives) holds the same facts for rollback.
 */
export interface ArchiveManifest {
  readonly format: 'aragora-migrate-archive/1';
  readonly runId: string;
  readonly instance: string;
  readonly host: string;
  readonly dataDir: string;
  readonly backupDir: string;
  readonly toolVersion: string;
  /** When the manifest was written (ISO 8601, UTC). */
  readonly writtenAt: string;
  /** Paths relative to both the data dir and the backup dir. */
  readonly files: readonly { readonly path: string; readonly sizeBytes: number; readonly sha256: string }[];
}

export function manifestPath(backupDir: string, runId: string): string {
  return join(backupDir, `aragora-migrate-manifest-${runId.replace(/[^\w.-]+/g, '-')}.json`);
}

/** The manifest at `path`, or null when there is none (or it is not one of ours). */
export function readManifest(path: string): ArchiveManifest | null {
  if (!existsSync(path)) return null;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<ArchiveManifest>;
    return m.format === 'aragora-migrate-archive/1' && Array.isArray(m.files) ? (m as ArchiveManifest) : null;
  } catch {
    return null;
  }
}

/** Whether two manifests list the same files with the same bytes (the time aside). */
export function sameFiles(a: ArchiveManifest, b: ArchiveManifest): boolean {
  const key = (m: ArchiveManifest): string =>
    m.files
      .map((f) => `${f.path}\0${f.sizeBytes}\0${f.sha256}`)
      .sort()
      .join('\n');
  return a.runId === b.runId && key(a) === key(b);
}

/** Written atomically (partial file, fsync, rename, fsync the folder): a reader never sees half a manifest. */
export function writeManifest(path: string, manifest: ArchiveManifest): void {
  writeFileDurably(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
