import { type ArchiveProgress, type ArchiveReport } from '../../index.js';
import { formatBytes, textTable } from './format.js';

/** What archive did, file by file, then where the manifest is. */
export function renderArchiveText(report: ArchiveReport): string {
  const out: string[] = [];
  out.push(`aragora-migrate archive: run ${report.runId}, instance ${report.instance}`);
  out.push(`From ${report.dataDir} to ${report.backupDir}`, '');
  const rows = report.files.map((f) => [f.path, formatBytes(f.sizeBytes), f.sha256, f.outcome]);
  out.push(textTable(['file', 'size', 'sha256', 'outcome'], rows, new Set([1])));
  out.push('', `Manifest: ${report.manifest}`, '', report.message);
  return `${out.join('\n')}\n`;
}

/** Files smaller than this copy in a moment: no progress for them. */
const BIG_FILE = 16 * 1024 * 1024;

/**
 * Bytes copied of big files, on stderr: one line rewritten in place on a
 * terminal, a line every few seconds otherwise (a pipe, CI), nothing when quiet.
 */
export function archiveProgress(opts: {
  quiet: boolean;
  stream?: NodeJS.WriteStream;
  intervalSeconds?: number;
}): (p: ArchiveProgress) => void {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return () => undefined;
  const tty = stream.isTTY === true;
  const intervalMs = (opts.intervalSeconds ?? (tty ? 0.2 : 5)) * 1000;
  let last = 0;
  return (p) => {
    if (p.total < BIG_FILE) return;
    const now = Date.now();
    const finished = p.done >= p.total;
    if (!finished && now - last < intervalMs) return;
    last = now;
    const line = `archiving ${p.file}: ${formatBytes(p.done)} of ${formatBytes(p.total)} copied`;
    if (tty) stream.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  };
}
