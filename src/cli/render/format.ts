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

/**
 * The width text output is fitted to: the terminal's columns when `stream` is
 * one, undefined in a pipe or a file, where nothing is cut or wrapped (scripts
 * and logs keep the full text). Commands read it once and hand it to the renderers.
 */
export function terminalWidth(stream: { readonly isTTY?: boolean; readonly columns?: number }): number | undefined {
  return stream.isTTY === true && stream.columns !== undefined && stream.columns > 0 ? stream.columns : undefined;
}

/**
 * Left-aligned text columns, right-aligned numbers; the widths fit the content.
 * Given a `width` (a terminal's), a table wider than it narrows its widest text
 * columns until every line fits, cutting their cells with `…` (cut); numbers are never cut.
 */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: ReadonlySet<number> = new Set(),
  width?: number,
): string {
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const widths = width === undefined ? natural : fitColumns(natural, numeric, width);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return numeric.has(i) ? c.padStart(w) : cut(c, w).padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Column widths whose lines (two blanks between columns) fit `width`: the
 * widest text column loses a character until they do, so short columns keep
 * theirs as long as a wider one can give. Numeric columns keep their width; a
 * table that cannot fit even then is left as narrow as it gets.
 */
export function fitColumns(natural: readonly number[], numeric: ReadonlySet<number>, width: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((n, w) => n + w, 0) + 2 * Math.max(0, widths.length - 1) - width;
  while (excess > 0) {
    let widest = -1;
    // The rightmost of equally wide columns gives first: the leftmost usually say which row it is.
    widths.forEach((w, i) => {
      if (!numeric.has(i) && w > 1 && w >= (widths[widest] ?? 0)) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 1) - 1;
    excess--;
  }
  return widths;
}

/**
 * `text` in at most `width` characters: cut in the middle with `…` when
 * longer. The cells are mostly names that share their start (`public.elo_…`,
 * a file name before each of its tables), so both ends are kept.
 */
export function cut(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, Math.max(0, width));
  const head = Math.floor((width - 1) / 2);
  const tail = width - 1 - head;
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
}

/**
 * One line of text wrapped at `width` with a hanging indent: the first line
 * starts at the margin, the next ones `indent` blanks in, under the text they
 * continue. Words are never split (a path or a DSN stays whole to copy), so a
 * word longer than the room left stands on its own line. Without a width, or
 * when it fits, the line is returned as it is.
 */
export function wrapHanging(text: string, width: number | undefined, indent: number): string {
  if (width === undefined || text.length <= width) return text;
  const lead = /^ */.exec(text)?.[0] ?? '';
  const [first = '', ...words] = text.slice(lead.length).split(' ');
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  let current = lead + first;
  for (const word of words) {
    // A doubled blank stays with the text before it; only a word starts a line.
    if (word === '' || `${current} ${word}`.length <= width || current.trim() === '') {
      current = `${current} ${word}`;
      continue;
    }
    lines.push(current.trimEnd());
    current = pad + word;
  }
  lines.push(current.trimEnd());
  return lines.join('\n');
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

/** Where a finding is: file, and table or table.column. */
export function findingPlace(f: Finding): string {
  return [f.file, f.table === null ? null : f.column === null ? f.table : `${f.table}.${f.column}`]
    .filter((x) => x !== null)
    .join(' ');
}

function refuses(f: Finding): string {
  return f.code === undefined ? '' : ` (migrate refuses: ${f.code})`;
}

/** Characters of an example key a report shows; --json has it whole. */
const EXAMPLE_KEY_SHOWN = 80;

/** A finding's example keys for a person: a key too long to read (one of 8 kB, say) is cut, with its length. */
export function exampleKeysText(f: Finding): string {
  return f.exampleKeys
    .map((k) =>
      k.length > EXAMPLE_KEY_SHOWN ? `${k.slice(0, EXAMPLE_KEY_SHOWN)}… (${formatCount(k.length)} characters)` : k,
    )
    .join(', ');
}

function examples(f: Finding): string {
  return f.exampleKeys.length > 0 ? `  e.g. ${exampleKeysText(f)}` : '';
}

/** One finding on one line: action, place, kind, count, what, example keys. */
export function findingLine(f: Finding): string {
  return `  ${f.action.toUpperCase().padEnd(6)} ${findingPlace(f)}: ${f.kind} x${formatCount(f.count)}: ${f.message}${refuses(f)}${examples(f)}`;
}

/** Under a finding's action: where its continuation lines and places start. */
const FINDING_INDENT = 9;

/** A finding's message as clauses: what differs per place comes first, the shared consequence after the last `; `. */
function clauses(message: string): string[] {
  return message.split('; ');
}

/**
 * Findings as lines, a message said once: findings with the same action and
 * kind whose messages end alike (one cause met in several files or tables, or
 * the same consequence of a per-file detail: `…; they are read through a
 * private snapshot copy`) share a head line with the common text; under it
 * each keeps its own line, as a finding alone has it, with its place, kind,
 * count, its own part of the message and its example keys. Given a terminal's
 * `width`, long lines wrap under the text they continue.
 */
export function findingLines(findings: readonly Finding[], width?: number): string[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = JSON.stringify([f.action, f.kind, f.code ?? null, clauses(f.message).at(-1)]);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: string[] = [];
  for (const group of groups.values()) {
    const [first] = group;
    if (first === undefined) continue;
    if (group.length === 1) {
      out.push(wrapHanging(findingLine(first), width, FINDING_INDENT));
      continue;
    }
    // The clauses every message ends with: said once, in the head line.
    let shared = clauses(first.message);
    for (const f of group) {
      const own = clauses(f.message);
      let n = 0;
      while (n < shared.length && n < own.length && shared.at(-1 - n) === own.at(-1 - n)) n++;
      shared = shared.slice(shared.length - n);
    }
    out.push(
      wrapHanging(
        `  ${first.action.toUpperCase().padEnd(6)} in ${group.length} places: ${shared.join('; ')}${refuses(first)}`,
        width,
        FINDING_INDENT,
      ),
    );
    for (const f of group) {
      const own = clauses(f.message);
      const rest = own.slice(0, own.length - shared.length).join('; ');
      out.push(
        wrapHanging(
          `${' '.repeat(FINDING_INDENT)}${findingPlace(f)}: ${f.kind} x${formatCount(f.count)}${rest === '' ? '' : `: ${rest}`}${examples(f)}`,
          width,
          FINDING_INDENT + 2,
        ),
      );
    }
  }
  return out;
}
