import { SYSTEM_COLUMN_NAMES, type ColumnSpec, type MergeRule, type TableSpec, type TargetType } from './schema.js';

/**
 * Cross-checks zod cannot express: every reference inside a mapping must name
 * something that exists, and the mappings of a set must not fight over tables.
 * Each rule is a named function returning problems (never throwing), so the
 * loader can report all of them at once and a test can call one rule alone.
 *
 * Paths are JSON paths inside the file (`tables[3].conflict.columns.elo`); the
 * loader prefixes the file.
 */

export type Severity = 'error' | 'warning';

export interface RuleProblem {
  readonly path: string;
  readonly message: string;
  readonly severity: Severity;
}

/** A problem found by a set rule, which spans files and so names its own. */
export interface LocatedProblem extends RuleProblem {
  readonly file: string;
}

/**
 * A table that passed the schema, located in its file. Set rules work on tables
 * rather than whole files so that a file with a schema error elsewhere still
 * takes part with its valid tables, and every problem is reported in one pass.
 */
export interface LocatedTable {
  readonly file: string;
  /** The store's name, or the file name when the file's `name` is unusable. */
  readonly store: string;
  /** The table's JSON path in its file, e.g. `tables[2]`. */
  readonly path: string;
  readonly table: TableSpec;
}

/** A check of one table; `at` is the table's path, e.g. `tables[2]`. */
export type TableRule = (table: TableSpec, at: string) => RuleProblem[];
/** A check across every file of a set. */
export type SetRule = (tables: readonly LocatedTable[]) => LocatedProblem[];

const NUMERIC_TYPES: ReadonlySet<TargetType> = new Set(['bigint', 'integer', 'double precision', 'real', 'numeric']);
const INTEGER_TYPES: ReadonlySet<TargetType> = new Set(['bigint', 'integer']);
/** Types `newest`, `min` and `max` can compare meaningfully. */
const ORDERED_TYPES: ReadonlySet<TargetType> = new Set([...NUMERIC_TYPES, 'timestamptz', 'text']);

/**
 * Source tables that must never be mapped: SQLite's own bookkeeping, Aragora's
 * `_schema_versions` (a copied row stops Aragora creating its Postgres tables)
 * and the rebuildable FTS5 index with its shadow tables.
 */
const NEVER_COPIED = [/^_schema_versions$/, /^sqlite_/, /^memory_fts(_|$)/];

const error = (path: string, message: string): RuleProblem => ({ path, message, severity: 'error' });
const warning = (path: string, message: string): RuleProblem => ({ path, message, severity: 'warning' });

function columnsByName(table: TableSpec): ReadonlyMap<string, ColumnSpec> {
  return new Map(table.columns.map((c) => [c.name, c]));
}

function listNames(table: TableSpec): string {
  return table.columns.map((c) => c.name).join(', ');
}

/** Columns that identify a row: the natural key, the target primary key and the surrogate id. */
function identityColumns(table: TableSpec): ReadonlySet<string> {
  const names = new Set([...table.key, ...(table.primaryKey ?? [])]);
  if (table.surrogateKey !== undefined) names.add(table.surrogateKey);
  return names;
}

/**
 * key, primaryKey, surrogateKey and unique name source columns of the table.
 * A `targetOnly` column has no source value, so it cannot identify a row.
 */
export const keysNameColumns: TableRule = (table, at) => {
  const columns = columnsByName(table);
  const problems: RuleProblem[] = [];
  const check = (name: string, path: string, what: string): void => {
    const column = columns.get(name);
    if (column === undefined) {
      problems.push(error(path, `${what} names unknown column "${name}" (columns: ${listNames(table)})`));
    } else if (column.targetOnly) {
      problems.push(error(path, `${what} names "${name}", a targetOnly column, which has no source value`));
    }
  };
  table.key.forEach((name, i) => check(name, `${at}.key[${i}]`, 'key'));
  table.primaryKey?.forEach((name, i) => check(name, `${at}.primaryKey[${i}]`, 'primaryKey'));
  if (table.surrogateKey !== undefined) check(table.surrogateKey, `${at}.surrogateKey`, 'surrogateKey');
  table.unique.forEach((cols, u) => cols.forEach((name, i) => check(name, `${at}.unique[${u}][${i}]`, 'unique')));
  return problems;
};

/**
 * Index entries are `column [ASC|DESC] [NULLS FIRST|LAST]`; the column must exist
 * (a targetOnly column may be indexed: it exists in the target).
 */
export const indexesNameColumns: TableRule = (table, at) => {
  const columns = columnsByName(table);
  const problems: RuleProblem[] = [];
  table.indexes.forEach((index, x) => {
    index.columns.forEach((entry, i) => {
      const path = `${at}.indexes[${x}].columns[${i}]`;
      const parsed = parseIndexEntry(entry);
      if (parsed === undefined) {
        problems.push(error(path, `"${entry}" is not of the form "column [ASC|DESC] [NULLS FIRST|LAST]"`));
      } else if (!columns.has(parsed)) {
        problems.push(
          error(path, `index "${index.name}" names unknown column "${parsed}" (columns: ${listNames(table)})`),
        );
      }
    });
  });
  return problems;
};

/** The column an index entry names, or undefined if the entry is not `col [ASC|DESC] [NULLS FIRST|LAST]`. */
export function parseIndexEntry(entry: string): string | undefined {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_$]*)(?:\s+(?:ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?\s*$/i.exec(entry);
  return match?.[1];
}

/** A foreign key's own columns exist; what it references is checked across the set. */
export const foreignKeysNameColumns: TableRule = (table, at) => {
  const columns = columnsByName(table);
  const problems: RuleProblem[] = [];
  table.foreignKeys.forEach((fk, f) => {
    fk.columns.forEach((name, i) => {
      if (!columns.has(name)) {
        problems.push(error(`${at}.foreignKeys[${f}].columns[${i}]`, `foreign key names unknown column "${name}"`));
      }
    });
    if (fk.columns.length !== fk.references.columns.length) {
      problems.push(
        error(
          `${at}.foreignKeys[${f}]`,
          `foreign key has ${fk.columns.length} column(s) but references ${fk.references.columns.length}`,
        ),
      );
    }
  });
  return problems;
};

/**
 * The conflict policy's columns exist and suit their rule: `newest` compares an
 * ordered column; merge rules name non-key columns; `sum` and weights are numeric;
 * `union` and `merge-keys` combine JSON. A merge that leaves a column out keeps the
 * existing value silently, which is worth a warning.
 */
export const conflictColumnsExist: TableRule = (table, at) => {
  const conflict = table.conflict;
  const columns = columnsByName(table);
  const problems: RuleProblem[] = [];
  if (conflict.policy === 'newest') {
    const column = columns.get(conflict.column);
    const path = `${at}.conflict.column`;
    if (column === undefined) {
      problems.push(error(path, `newest names unknown column "${conflict.column}" (columns: ${listNames(table)})`));
    } else if (!ORDERED_TYPES.has(column.type)) {
      problems.push(error(path, `newest needs an ordered column; "${column.name}" is ${column.type}`));
    }
    return problems;
  }
  if (conflict.policy !== 'merge') return problems;

  const identity = identityColumns(table);
  for (const [name, rule] of Object.entries(conflict.columns)) {
    const path = `${at}.conflict.columns.${name}`;
    const column = columns.get(name);
    if (column === undefined) {
      problems.push(error(path, `merge names unknown column "${name}" (columns: ${listNames(table)})`));
      continue;
    }
    if (identity.has(name)) {
      problems.push(error(path, `"${name}" identifies the row (key, primaryKey or surrogateKey) and cannot be merged`));
      continue;
    }
    problems.push(...checkMergeRule(rule, column, columns, path));
  }
  const unlisted = table.columns.filter((c) => !identity.has(c.name) && !(c.name in conflict.columns));
  if (unlisted.length > 0) {
    problems.push(
      warning(
        `${at}.conflict.columns`,
        `merge does not say how to combine ${unlisted.map((c) => `"${c.name}"`).join(', ')}; the existing value is kept`,
      ),
    );
  }
  return problems;
};

function checkMergeRule(
  rule: MergeRule,
  column: ColumnSpec,
  columns: ReadonlyMap<string, ColumnSpec>,
  path: string,
): RuleProblem[] {
  const name = typeof rule === 'string' ? rule : rule.rule;
  const weight = typeof rule === 'string' ? undefined : rule.weight;
  const problems: RuleProblem[] = [];
  switch (name) {
    case 'sum':
    case 'weighted-mean':
      if (!NUMERIC_TYPES.has(column.type))
        problems.push(error(path, `${name} needs a numeric column; "${column.name}" is ${column.type}`));
      break;
    case 'min':
    case 'max':
      if (!ORDERED_TYPES.has(column.type))
        problems.push(error(path, `${name} needs an ordered column; "${column.name}" is ${column.type}`));
      break;
    case 'union':
    case 'merge-keys':
      if (column.type !== 'jsonb')
        problems.push(error(path, `${name} combines JSON; "${column.name}" is ${column.type}`));
      break;
    case 'keep':
    case 'incoming':
      break;
  }
  if (name === 'weighted-mean' && weight === undefined) {
    problems.push(
      error(path, 'weighted-mean needs a weight column: { "rule": "weighted-mean", "weight": "<column>" }'),
    );
  }
  if (weight !== undefined) {
    const weightColumn = columns.get(weight);
    if (weightColumn === undefined) {
      problems.push(error(`${path}.weight`, `weight names unknown column "${weight}"`));
    } else if (!NUMERIC_TYPES.has(weightColumn.type)) {
      problems.push(error(`${path}.weight`, `weight must be numeric; "${weight}" is ${weightColumn.type}`));
    }
  }
  return problems;
}

/** One entry per source column, and no two entries landing in one target column. */
export const targetColumnsDistinct: TableRule = (table, at) => {
  const problems: RuleProblem[] = [];
  const sources = new Map<string, number>();
  const targets = new Map<string, number>();
  table.columns.forEach((column, i) => {
    const path = `${at}.columns[${i}]`;
    const seenSource = sources.get(column.name);
    if (seenSource !== undefined) {
      problems.push(error(`${path}.name`, `column "${column.name}" is already listed at columns[${seenSource}]`));
    } else {
      sources.set(column.name, i);
    }
    const target = column.target ?? column.name;
    const seenTarget = targets.get(target);
    if (seenTarget !== undefined && seenSource === undefined) {
      problems.push(
        error(
          path,
          `target column "${target}" is already fed by columns[${seenTarget}]; one target column takes one source column`,
        ),
      );
    } else if (seenTarget === undefined) {
      targets.set(target, i);
    }
  });
  return problems;
};

/** The target re-assigns colliding surrogate ids from a sequence, so the id must be an integer. */
export const surrogateKeyIsInteger: TableRule = (table, at) => {
  if (table.surrogateKey === undefined) return [];
  const column = table.columns.find((c) => c.name === table.surrogateKey);
  if (column === undefined || INTEGER_TYPES.has(column.type)) return []; // unknown names: keysNameColumns
  return [error(`${at}.surrogateKey`, `surrogateKey "${column.name}" must be bigint or integer, not ${column.type}`)];
};

/** `verbatim` copies text byte for byte (hash inputs); on any other type it means nothing. */
export const verbatimOnlyOnText: TableRule = (table, at) =>
  table.columns.flatMap((column, i) =>
    column.convert === 'verbatim' && column.type !== 'text'
      ? [
          error(
            `${at}.columns[${i}].convert`,
            `verbatim applies to text columns only; "${column.name}" is ${column.type}`,
          ),
        ]
      : [],
  );

/**
 * A column that may be missing gets a constant, which must suit its type. A key
 * column filled with a constant would make every row collide, so it may not.
 */
export const whenMissingFits: TableRule = (table, at) => {
  const identity = identityColumns(table);
  const problems: RuleProblem[] = [];
  table.columns.forEach((column, i) => {
    if (column.whenMissing === undefined) return;
    const path = `${at}.columns[${i}].whenMissing`;
    if (identity.has(column.name)) {
      problems.push(error(path, `"${column.name}" identifies the row; a key column cannot be filled with a constant`));
      return;
    }
    if (column.targetOnly) {
      problems.push(error(path, `"${column.name}" is targetOnly (never read from SQLite); use default instead`));
      return;
    }
    const mismatch = whenMissingMismatch(column);
    if (mismatch !== undefined) problems.push(error(path, mismatch));
  });
  return problems;
};

function whenMissingMismatch(column: ColumnSpec): string | undefined {
  const value = column.whenMissing;
  if (value === null) {
    return column.nullable ? undefined : `"${column.name}" is not nullable, so whenMissing cannot be null`;
  }
  const expected: Record<TargetType, 'string' | 'number' | 'boolean' | 'any'> = {
    text: 'string',
    bigint: 'number',
    integer: 'number',
    'double precision': 'number',
    real: 'number',
    numeric: 'number',
    boolean: 'boolean',
    timestamptz: 'string',
    jsonb: 'any',
    bytea: 'string',
    tsvector: 'string',
  };
  const want = expected[column.type];
  if (want === 'any' || typeof value === want) return undefined;
  return `whenMissing for ${column.type} column "${column.name}" must be a ${want} or null, not ${JSON.stringify(value)}`;
}

/** PostgreSQL primary keys are NOT NULL; saying otherwise is a contradiction in the mapping. */
export const primaryKeyNotNullable: TableRule = (table, at) => {
  const pk = table.primaryKey ?? table.key;
  return table.columns.flatMap((column, i) =>
    pk.includes(column.name) && column.nullable
      ? [
          error(
            `${at}.columns[${i}].nullable`,
            `"${column.name}" is part of the primary key and must be "nullable": false`,
          ),
        ]
      : [],
  );
};

/** A targetOnly column only ever gets its default, so a NOT NULL one needs one. */
export const targetOnlyHasDefault: TableRule = (table, at) =>
  table.columns.flatMap((column, i) =>
    column.targetOnly && !column.nullable && column.default === undefined
      ? [error(`${at}.columns[${i}]`, `targetOnly column "${column.name}" is NOT NULL and has no default`)]
      : [],
  );

/** Types a JSON value can be taken into: a string, a boolean or a number. */
const FROM_JSON_TYPES: ReadonlySet<TargetType> = new Set(['text', 'boolean', ...NUMERIC_TYPES]);

/**
 * A column filled from a JSON key names a jsonb column of the same table, and
 * is itself loaded (not targetOnly) with a type a JSON scalar converts to.
 */
export const fromJsonNamesJsonColumn: TableRule = (table, at) => {
  const columns = columnsByName(table);
  const identity = identityColumns(table);
  const problems: RuleProblem[] = [];
  table.columns.forEach((column, i) => {
    if (column.fromJson === undefined) return;
    const path = `${at}.columns[${i}].fromJson`;
    const source = columns.get(column.fromJson.column);
    if (source === undefined)
      problems.push(
        error(
          `${path}.column`,
          `fromJson names unknown column "${column.fromJson.column}" (columns: ${listNames(table)})`,
        ),
      );
    else if (source.type !== 'jsonb' || source.targetOnly || source.fromJson !== undefined)
      problems.push(
        error(`${path}.column`, `fromJson needs a jsonb column read from SQLite; "${source.name}" is not one`),
      );
    if (column.targetOnly)
      problems.push(error(path, `"${column.name}" is targetOnly; a column filled from JSON is loaded`));
    if (identity.has(column.name))
      problems.push(error(path, `"${column.name}" identifies the row and cannot be filled from JSON`));
    if (!FROM_JSON_TYPES.has(column.type))
      problems.push(error(path, `a JSON value converts to text, boolean or a number, not ${column.type}`));
  });
  return problems;
};

/**
 * Only the target fills a tsvector or a column verify checks by expression,
 * only a foreign key the tool creates has a delete action, and a trigger's
 * body can be quoted.
 */
export const targetFilledColumnsAreTargetOnly: TableRule = (table, at) => {
  const problems: RuleProblem[] = [];
  table.columns.forEach((column, i) => {
    if (column.type === 'tsvector' && !column.targetOnly)
      problems.push(
        error(
          `${at}.columns[${i}].type`,
          `"${column.name}" is tsvector, which only the target fills: mark it targetOnly`,
        ),
      );
    if (column.verifyEquals !== undefined && !column.targetOnly)
      problems.push(
        error(
          `${at}.columns[${i}].verifyEquals`,
          `verifyEquals checks a column the target fills; "${column.name}" is loaded from SQLite`,
        ),
      );
  });
  table.foreignKeys.forEach((fk, f) => {
    if (fk.onDelete !== undefined && !fk.enforce)
      problems.push(
        error(`${at}.foreignKeys[${f}].onDelete`, 'onDelete applies to a key the tool creates: set "enforce": true'),
      );
  });
  // The body goes between these dollar quotes (src/target/target-ddl.ts).
  table.triggers.forEach((t, i) => {
    if (t.function.body.includes('$aragora_migrate$'))
      problems.push(
        error(`${at}.triggers[${i}].function.body`, 'the body may not contain $aragora_migrate$, which quotes it'),
      );
  });
  return problems;
};

/** No target column takes the name of a PostgreSQL system column: the table could not be created (SYSTEM_COLUMN_NAMES). */
export const targetColumnsNotSystem: TableRule = (table, at) =>
  table.columns.flatMap((column, i) => {
    const target = column.target ?? column.name;
    return SYSTEM_COLUMN_NAMES.has(target)
      ? [
          error(
            `${at}.columns[${i}]${column.target === undefined ? '' : '.target'}`,
            `PostgreSQL keeps the name "${target}" for a system column, so no table can have a column of that name: give the column another "target"`,
          ),
        ]
      : [];
  });

/** `_schema_versions`, `sqlite_*` and `memory_fts*` are never copied: SQLite's bookkeeping and the FTS index, and `_schema_versions` rows would stop Aragora creating its PostgreSQL tables (src/source/inventory.ts). */
export const sourceNeverCopied: TableRule = (table, at) =>
  NEVER_COPIED.some((re) => re.test(table.source))
    ? [
        error(
          `${at}.source`,
          `"${table.source}" must never be copied (SQLite bookkeeping, _schema_versions or the FTS index)`,
        ),
      ]
    : [];

export const TABLE_RULES: readonly TableRule[] = [
  keysNameColumns,
  indexesNameColumns,
  foreignKeysNameColumns,
  conflictColumnsExist,
  targetColumnsDistinct,
  targetColumnsNotSystem,
  surrogateKeyIsInteger,
  verbatimOnlyOnText,
  whenMissingFits,
  primaryKeyNotNullable,
  targetOnlyHasDefault,
  sourceNeverCopied,
  fromJsonNamesJsonColumn,
  targetFilledColumnsAreTargetOnly,
];

/** Every table rule over one table; `at` is its path, e.g. `tables[2]`. */
export function checkTable(table: TableSpec, at: string): RuleProblem[] {
  return TABLE_RULES.flatMap((rule) => rule(table, at));
}

const located = (at: LocatedTable, path: string, message: string, severity: Severity = 'error'): LocatedProblem => ({
  file: at.file,
  path,
  message,
  severity,
});

/**
 * A SQLite table name belongs to one store: discovery classifies a file by its
 * table names, and a run maps each table once.
 */
export const sourceInOneStore: SetRule = (tables) => {
  const first = new Map<string, LocatedTable>();
  const problems: LocatedProblem[] = [];
  for (const at of tables) {
    const seen = first.get(at.table.source);
    if (seen === undefined) {
      first.set(at.table.source, at);
    } else {
      problems.push(
        located(
          at,
          `${at.path}.source`,
          `source table "${at.table.source}" is already mapped by store "${seen.store}" (${seen.file}: ${seen.path})`,
        ),
      );
    }
  }
  return problems;
};

/**
 * Two source tables writing one target table would mix rows of different shapes
 * and break verify's one-to-one count and digest.
 */
export const targetFedOnce: SetRule = (tables) => {
  const first = new Map<string, LocatedTable>();
  const problems: LocatedProblem[] = [];
  for (const at of tables) {
    const seen = first.get(at.table.target);
    if (seen === undefined) {
      first.set(at.table.target, at);
    } else if (seen.table.source !== at.table.source) {
      problems.push(
        located(
          at,
          `${at.path}.target`,
          `target table "${at.table.target}" is already fed by source table "${seen.table.source}" (${seen.file}: ${seen.path})`,
        ),
      );
    }
  }
  return problems;
};

/** Foreign keys reference source tables of the set, by their source column names. */
export const foreignKeysResolve: SetRule = (tables) => {
  const bySource = new Map(tables.map((at) => [at.table.source, at]));
  const problems: LocatedProblem[] = [];
  for (const at of tables) {
    at.table.foreignKeys.forEach((fk, f) => {
      const path = `${at.path}.foreignKeys[${f}].references`;
      const referenced = bySource.get(fk.references.table);
      if (referenced === undefined) {
        problems.push(
          located(at, `${path}.table`, `references table "${fk.references.table}", which no mapping of the set has`),
        );
        return;
      }
      const names = new Set(referenced.table.columns.map((c) => c.name));
      fk.references.columns.forEach((name, i) => {
        if (!names.has(name)) {
          problems.push(
            located(at, `${path}.columns[${i}]`, `references unknown column "${fk.references.table}.${name}"`),
          );
        }
      });
    });
  }
  return problems;
};

/** PostgreSQL index names are unique per schema, and every target table lands in one schema. */
export const indexNamesUnique: SetRule = (tables) => {
  const first = new Map<string, LocatedTable>();
  const problems: LocatedProblem[] = [];
  for (const at of tables) {
    at.table.indexes.forEach((index, x) => {
      const seen = first.get(index.name);
      if (seen === undefined) {
        first.set(index.name, at);
      } else {
        problems.push(
          located(
            at,
            `${at.path}.indexes[${x}].name`,
            `index name "${index.name}" is already used by table "${seen.table.target}"`,
          ),
        );
      }
    });
  }
  return problems;
};

/** Store names label reports and findings, so two files may not share one. */
export const storeNamesUnique: SetRule = (tables) => {
  const fileOf = new Map<string, string>();
  const problems: LocatedProblem[] = [];
  const files = new Map(tables.map((at) => [at.file, at.store]));
  for (const [file, store] of files) {
    const seen = fileOf.get(store);
    if (seen === undefined) fileOf.set(store, file);
    else
      problems.push({
        file,
        path: 'name',
        message: `store name "${store}" is already used by ${seen}`,
        severity: 'error',
      });
  }
  return problems;
};

export const SET_RULES: readonly SetRule[] = [
  sourceInOneStore,
  targetFedOnce,
  foreignKeysResolve,
  indexNamesUnique,
  storeNamesUnique,
];

/** Every set rule over the valid tables of every file of one set. */
export function checkSet(tables: readonly LocatedTable[]): LocatedProblem[] {
  return SET_RULES.flatMap((rule) => rule(tables));
}
