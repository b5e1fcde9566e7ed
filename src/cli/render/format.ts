import { type Finding, type TableReport } from '../../index.js';

/** Small text helpers for terminal and Markdown output. */

export { formatBytes } from '../../index.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Left-aligned text columns, right-aligned numbers; the widths fit the content. */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The cells every per-table report starts with: source, target, and where each row went. */
export function tableCountCells(t: TableReport): string[] {
  return [
    `${t.source.file} ${t.source.table}`,
    t.target ?? '',
    formatCount(t.rowsRead),
    formatCount(t.rowsLoaded),
    formatCount(t.rowsRejected),
    formatCount(t.rowsMerged),
    formatCount(t.rowsRepaired),
  ];
}

/** One finding on one line: action, place, kind, count, what, example keys. */
export function findingLine(f: Finding): string {
  const where = [f.file, f.table === null ? null : f.column === null ? f.table : `${f.table}.${f.column}`]
    .filter((x) => x !== null)
    .join(' ');
  const eg = f.exampleKeys.length > 0 ? `  e.g. ${f.exampleKeys.join(', ')}` : '';
  const code = f.code === undefined ? '' : ` (migrate refuses: ${f.code})`;
  return `  ${f.action.toUpperCase().padEnd(6)} ${where}: ${f.kind} x${formatCount(f.count)}: ${f.message}${code}${eg}`;
}
