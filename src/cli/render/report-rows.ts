import { type MigrateReport, type VerifyReport } from '../../index.js';
import { formatCount, tableCountCells } from './format.js';

/**
 * The tables migrate and verify print, as cells: one source for the text
 * report and the Markdown one, so the two never disagree on a column.
 */

export const MIGRATE_HEADER = [
  'table',
  'target',
  'read',
  'loaded',
  'rejected',
  'merged',
  'repaired',
  'MB',
  'seconds',
  'rows/s',
  'state',
] as const;
export const MIGRATE_NUMERIC: ReadonlySet<number> = new Set([2, 3, 4, 5, 6, 7, 8, 9]);

type MigrateTable = MigrateReport['tables'][number];

function rowsPerSecond(rows: number, seconds: number): string {
  return seconds > 0 ? formatCount(Math.round(rows / seconds)) : '-';
}

/** A row per source table, then the total, whose seconds and rows/s are the load phase's alone. */
export function migrateRows(report: MigrateReport): string[][] {
  const rows = report.tables.map((t: MigrateTable) => [
    ...tableCountCells(t),
    (t.bytes / 1024 / 1024).toFixed(1),
    t.seconds.toFixed(1),
    rowsPerSecond(t.rowsRead, t.seconds),
    t.reason ?? 'done',
  ]);
  const sum = (f: (t: MigrateTable) => number): number => report.tables.reduce((n, t) => n + f(t), 0);
  const loadSeconds = report.phases.find((p) => p.phase === 'load')?.seconds ?? report.seconds;
  rows.push([
    'total',
    '',
    formatCount(sum((t) => t.rowsRead)),
    formatCount(sum((t) => t.rowsLoaded)),
    formatCount(sum((t) => t.rowsRejected)),
    formatCount(sum((t) => t.rowsMerged)),
    formatCount(sum((t) => t.rowsRepaired)),
    (sum((t) => t.bytes) / 1024 / 1024).toFixed(1),
    loadSeconds.toFixed(1),
    rowsPerSecond(
      sum((t) => t.rowsRead),
      loadSeconds,
    ),
    '',
  ]);
  return rows;
}

export const VERIFY_HEADER = [
  'target',
  'source rows',
  'target rows',
  'digest',
  'missing',
  'changed',
  'extra',
  'rejected',
  'resolved',
  'other runs',
] as const;
export const VERIFY_NUMERIC: ReadonlySet<number> = new Set([1, 2, 4, 5, 6, 7, 8, 9]);

/** Per target table: rows on each side, whether the digests match, and what differs or is accounted for otherwise. */
export function verifyRow(t: VerifyReport['tables'][number], differs = 'DIFFERS'): string[] {
  return [
    t.target,
    formatCount(t.rowsSource),
    formatCount(t.rowsTarget),
    t.sourceDigest === t.targetDigest ? 'match' : differs,
    formatCount(t.missing),
    formatCount(t.changed),
    formatCount(t.extra),
    formatCount(t.accountedRejected),
    formatCount(t.accountedResolved),
    formatCount(t.otherRuns),
  ];
}
