import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { MappingError } from '../errors.js';
import { checkSet, checkTable } from './rules.js';
import type { LocatedTable, RuleProblem } from './rules.js';
import { StoreMappingSchema, TableSpecSchema } from './schema.js';
import type { StoreMapping, TableSpec } from './schema.js';

/**
 * Reads a mapping set (a directory of `*.json` files, one per store), validates
 * each file against the zod schema and the cross-check rules, and returns either
 * the set or every problem of every file at once, each with its path, so an
 * operator fixes them in one pass instead of one per run.
 */

export interface MappingProblem {
  /** File and JSON path, e.g. `mappings/aragora/elo.json: tables[0].columns[2].type`. */
  readonly path: string;
  readonly message: string;
}

export interface MappingSet {
  /** The set's name: the directory's base name (`aragora`). */
  readonly name: string;
  /** The directory the set was read from. */
  readonly dir: string;
  /** One entry per file, in file-name order. */
  readonly stores: readonly StoreMapping[];
  /** Source table name → its spec and store. */
  readonly bySource: ReadonlyMap<string, { readonly store: StoreMapping; readonly table: TableSpec }>;
}

export type LoadResult =
  | { readonly ok: true; readonly value: MappingSet; readonly warnings: MappingProblem[] }
  | { readonly ok: false; readonly errors: MappingProblem[]; readonly warnings: MappingProblem[] };

/** The generated JSON Schema sits next to the sets, not in one; it is not a mapping. */
const SCHEMA_FILE_NAME = 'mapping.schema.json';

/** A store mapping made in memory (`--auto`), validated with the files of a set; `label` names it in problems. */
export interface DerivedStore {
  readonly label: string;
  readonly json: unknown;
}

/**
 * Reads every `*.json` in `dir` (sorted by name), and the `derived` stores
 * after them. Never throws for bad content.
 */
export function loadMappingSet(dir: string, derived: readonly DerivedStore[] = []): LoadResult {
  const errors: MappingProblem[] = [];
  const warnings: MappingProblem[] = [];
  const dirLabel = displayPath(dir);

  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    errors.push({ path: dirLabel, message: `cannot read the mapping directory: ${describe(err)}` });
    return { ok: false, errors, warnings };
  }

  const jsonFiles = entries.filter((e) => e.endsWith('.json') && e !== SCHEMA_FILE_NAME);
  for (const other of entries.filter((e) => /\.ya?ml$/i.test(e))) {
    warnings.push({ path: displayPath(join(dir, other)), message: 'ignored: only .json mapping files are read' });
  }
  if (jsonFiles.length === 0) {
    errors.push({ path: dirLabel, message: 'no *.json mapping files in this directory' });
    return { ok: false, errors, warnings };
  }

  const stores: StoreMapping[] = [];
  const tables: LocatedTable[] = [];
  for (const entry of jsonFiles) {
    const file = displayPath(join(dir, entry));
    const loaded = loadFile(join(dir, entry), file, errors);
    if (loaded.store !== undefined) stores.push(loaded.store);
    tables.push(...loaded.tables);
  }
  for (const d of derived) {
    const loaded = parseStore(d.json, d.label, errors);
    if (loaded.store !== undefined) stores.push(loaded.store);
    tables.push(...loaded.tables);
  }

  // Rules run on every table that passed the schema, even in a file that did
  // not, so one run reports every problem rather than one layer at a time.
  for (const at of tables) {
    for (const problem of checkTable(at.table, at.path)) {
      (problem.severity === 'error' ? errors : warnings).push(located(at.file, problem));
    }
  }
  for (const problem of checkSet(tables)) {
    (problem.severity === 'error' ? errors : warnings).push(located(problem.file, problem));
  }

  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, value: buildSet(dir, stores), warnings };
}

interface LoadedFile {
  /** The whole store, when the file passed the schema. */
  readonly store: StoreMapping | undefined;
  /** Its tables that passed the schema (all of them when `store` is set). */
  readonly tables: LocatedTable[];
}

/** Reads, parses and schema-validates one file, pushing its problems. */
function loadFile(path: string, file: string, errors: MappingProblem[]): LoadedFile {
  const nothing: LoadedFile = { store: undefined, tables: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    errors.push({ path: file, message: `cannot read: ${describe(err)}` });
    return nothing;
  }
  // Editors on Windows may save a byte-order mark; JSON.parse rejects it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Node 20's JSON.parse messages carry no position, so find it ourselves.
    const syntax = locateJsonError(text);
    const { line, column } = lineColumn(text, syntax?.offset ?? 0);
    errors.push({
      path: syntax === undefined ? file : `${file}:${line}:${column}`,
      message: `invalid JSON: ${syntax?.message ?? describe(err)}`,
    });
    return nothing;
  }
  return parseStore(json, file, errors);
}

/** Schema-validates one store's JSON, pushing its problems under `file`. */
function parseStore(json: unknown, file: string, errors: MappingProblem[]): LoadedFile {
  const result = StoreMappingSchema.safeParse(json, { reportInput: true });
  if (!result.success) {
    for (const issue of flattenIssues(result.error.issues)) {
      errors.push({
        path: issue.path.length === 0 ? file : `${file}: ${formatPath(issue.path)}`,
        message: issue.message,
      });
    }
    return { store: undefined, tables: salvageTables(json, file) };
  }
  const store = result.data;
  return { store, tables: store.tables.map((table, t) => ({ file, store: store.name, path: `tables[${t}]`, table })) };
}

/**
 * The tables of a file that failed the schema which pass it on their own. Their
 * problems were not reported by zod (the table schema is the same), so checking
 * them adds only new findings, never duplicates.
 */
function salvageTables(json: unknown, file: string): LocatedTable[] {
  if (!isRecord(json) || !Array.isArray(json.tables)) return [];
  const store = typeof json.name === 'string' && json.name !== '' ? json.name : file;
  return json.tables.flatMap((raw: unknown, t) => {
    const parsed = TableSpecSchema.safeParse(raw);
    return parsed.success ? [{ file, store, path: `tables[${t}]`, table: parsed.data }] : [];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function buildSet(dir: string, stores: readonly StoreMapping[]): MappingSet {
  const bySource = new Map<string, { readonly store: StoreMapping; readonly table: TableSpec }>();
  for (const store of stores) {
    deepFreeze(store);
    for (const table of store.tables) bySource.set(table.source, Object.freeze({ store, table }));
  }
  return Object.freeze({
    name: basename(resolve(dir)),
    dir: resolve(dir),
    stores: Object.freeze([...stores]),
    bySource,
  });
}

/** The directory of a shipped set, from `src/` (tsx, vitest) and from `dist/` alike. */
export function builtinMappingDir(name = 'aragora'): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new MappingError('MAPPING_INVALID', `"${name}" is not a mapping set name`, {
      hint: 'Shipped set names are plain words, e.g. "aragora".',
    });
  }
  return join(packageRoot(), 'mappings', name);
}

/** Walks up from this module to the package.json named aragora-migrate. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && readPackageName(candidate) === 'aragora-migrate') return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new MappingError(
        'MAPPING_INVALID',
        'cannot find the aragora-migrate package root to load shipped mappings',
        {
          hint: 'Reinstall aragora-migrate; its package.json and mappings/ folder must ship together.',
        },
      );
    }
    dir = parent;
  }
}

function readPackageName(path: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'name' in parsed && typeof parsed.name === 'string'
      ? parsed.name
      : undefined;
  } catch {
    return undefined; // an unreadable package.json on the way up is not ours
  }
}

/** The shipped set; a broken one is a packaging bug, reported with every problem. */
export function loadBuiltinMappingSet(name = 'aragora'): MappingSet {
  return mappingSetOrThrow(builtinMappingDir(name));
}

/** loadMappingSet, its problems thrown as one MAPPING_INVALID error (mappingErrorFrom). */
export function mappingSetOrThrow(dir: string, derived: readonly DerivedStore[] = []): MappingSet {
  const result = loadMappingSet(dir, derived);
  if (!result.ok) throw mappingErrorFrom(result);
  return result.value;
}

/** One error whose message lists every problem, one per line, each prefixed by its path. */
export function mappingErrorFrom(result: { readonly errors: readonly MappingProblem[] }): MappingError {
  const count = result.errors.length;
  const lines = result.errors.map((p) => `${p.path}: ${p.message}`);
  const header = `invalid mapping set (${count} problem${count === 1 ? '' : 's'}):`;
  return new MappingError('MAPPING_INVALID', [header, ...lines].join('\n'));
}

function located(file: string, problem: RuleProblem): MappingProblem {
  return { path: `${file}: ${problem.path}`, message: problem.message };
}

/** Relative to the working directory when inside it (what an operator typed), else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(path);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `['tables', 0, 'columns', 2, 'type']` → `tables[0].columns[2].type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

interface FlatIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * zod reports a failed union as one "Invalid input" holding every branch's
 * issues. Report instead the branches the value was evidently meant for (those
 * not rejected at their root or on a literal discriminator), or, when no branch
 * fits at all, one line naming what each branch expects.
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FlatIssue[] {
  return issues.flatMap((issue): FlatIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const meant = issue.errors.filter((branch) => !branch.some(rejectsBranch));
      if (meant.length > 0) return meant.flatMap((branch) => flattenIssues(branch, path));
      const expected = issue.errors.flatMap((branch) => branch.filter((i) => i.path.length === 0).map(expectation));
      return [{ path, message: `expected ${[...new Set(expected)].join(' or ')}${received(issue)}` }];
    }
    if (issue.code === 'invalid_value' || issue.code === 'invalid_union') {
      return [{ path, message: `${issue.message}${received(issue)}` }];
    }
    return [{ path, message: issue.message }];
  });
}

/** The value is not of this branch's type at all, or misses its literal discriminator. */
function rejectsBranch(issue: z.core.$ZodIssue): boolean {
  const wrongType = issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
  const wrongLiteral = issue.code === 'invalid_value' && issue.values.length === 1;
  return wrongType || wrongLiteral;
}

function expectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join('|')}`;
  if (issue.code === 'invalid_type') return `an ${issue.expected}`;
  return issue.message;
}

function received(issue: z.core.$ZodIssue): string {
  return 'input' in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : '';
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Finds where a JSON text first goes wrong, for an error an operator can jump to.
 * Only called after JSON.parse failed, so it need not build values, only scan.
 */
export function locateJsonError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const fail = (message: string): never => {
    throw new JsonSyntax(i, message);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const found = (): string => (i >= text.length ? 'end of input' : JSON.stringify(text.charAt(i)));
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${found()}, expected a value`);
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in string (escape it, e.g. \\n)');
      if (c === 0x5c) {
        const e = text.charAt(i + 1);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') {
          i += 2;
        } else {
          fail(`invalid escape \\${e}`);
        }
      } else {
        i++;
      }
    }
  };
  const number = (): void => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (match === null) fail(`unexpected ${found()}, expected a value`);
    else i += match[0].length;
  };
  const value = (): void => {
    ws();
    const c = text.charAt(i);
    if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  const object = (): void => {
    i++;
    ws();
    if (text.charAt(i) === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text.charAt(i) !== '"') fail(`unexpected ${found()}, expected a property name in double quotes`);
      string();
      ws();
      if (text.charAt(i) !== ':') fail(`unexpected ${found()}, expected ':'`);
      i++;
      value();
      ws();
      if (text.charAt(i) === ',') {
        i++;
        continue;
      }
      if (text.charAt(i) === '}') {
        i++;
        return;
      }
      fail(`unexpected ${found()}, expected ',' or '}'`);
    }
  };
  const array = (): void => {
    i++;
    ws();
    if (text.charAt(i) === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (text.charAt(i) === ',') {
        i++;
        continue;
      }
      if (text.charAt(i) === ']') {
        i++;
        return;
      }
      fail(`unexpected ${found()}, expected ',' or ']'`);
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof JsonSyntax) return { offset: err.offset, message: err.message };
    return undefined; // e.g. stack exhaustion on absurd nesting: no position, JSON.parse's message stands
  }
}

class JsonSyntax extends Error {
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(message);
    this.offset = offset;
  }
}
