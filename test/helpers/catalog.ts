import type pg from 'pg';

/**
 * A table as the catalog describes it, in a form two databases can be
 * compared by: columns (type, NOT NULL, default, identity), constraints,
 * indexes and triggers, each by name, with the schema left out of the
 * definitions. What the application's DDL creates and what the tool creates
 * are compared this way (test/integration/app-contract.test.ts).
 */
export interface TableShape {
  readonly columns: ReadonlyMap<
    string,
    { readonly type: string; readonly notNull: boolean; readonly default: string | null; readonly identity: boolean }
  >;
  readonly constraints: ReadonlyMap<string, string>;
  readonly indexes: ReadonlyMap<string, string>;
  readonly triggers: ReadonlyMap<string, string>;
}

export async function tableShape(client: pg.Client, schema: string, table: string): Promise<TableShape | null> {
  const rel = `"${schema}"."${table}"`;
  const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [rel]);
  if (exists.rows[0]?.ok !== true) return null;
  const strip = (s: string): string => s.replaceAll(`${schema}.`, '').replaceAll(`"${schema}".`, '');
  const cols = await client.query<{
    name: string;
    type: string;
    notnull: boolean;
    def: string | null;
    identity: string;
  }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity AS identity
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [rel],
  );
  const cons = await client.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname`,
    [rel],
  );
  const idx = await client.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [rel],
  );
  const trg = await client.query<{ name: string; def: string }>(
    `SELECT t.tgname AS name, pg_get_triggerdef(t.oid) || ' -- ' || regexp_replace(p.prosrc, '\\s+', ' ', 'g') AS def
       FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal ORDER BY 1`,
    [rel],
  );
  return {
    columns: new Map(
      cols.rows.map((c) => [
        c.name,
        {
          type: c.type,
          notNull: c.notnull,
          default: c.def === null ? null : strip(c.def),
          identity: c.identity !== '',
        },
      ]),
    ),
    constraints: new Map(cons.rows.map((c) => [c.name, strip(c.def)])),
    indexes: new Map(idx.rows.map((c) => [c.name, strip(c.def)])),
    triggers: new Map(trg.rows.map((c) => [c.name, strip(c.def)])),
  };
}

/** One way the tool's table differs from the application's. */
export interface ShapeDifference {
  readonly table: string;
  /** A column, constraint, index or trigger name. */
  readonly object: string;
  readonly app: string;
  readonly tool: string;
}

const describeColumn = (
  c: { type: string; notNull: boolean; default: string | null; identity: boolean } | undefined,
): string =>
  c === undefined
    ? '(none)'
    : `${c.type}${c.identity ? ' identity' : ''}${c.notNull ? ' not null' : ''}${c.default === null ? '' : ` default ${c.default}`}`;

/** Every difference between the application's table and the tool's, object by object. */
export function shapeDifferences(table: string, app: TableShape, tool: TableShape): ShapeDifference[] {
  const out: ShapeDifference[] = [];
  for (const name of new Set([...app.columns.keys(), ...tool.columns.keys()])) {
    const a = describeColumn(app.columns.get(name));
    const t = describeColumn(tool.columns.get(name));
    if (a !== t) out.push({ table, object: name, app: a, tool: t });
  }
  for (const kind of ['constraints', 'indexes', 'triggers'] as const) {
    for (const name of new Set([...app[kind].keys(), ...tool[kind].keys()])) {
      const a = app[kind].get(name) ?? '(none)';
      const t = tool[kind].get(name) ?? '(none)';
      if (a !== t) out.push({ table, object: name, app: a, tool: t });
    }
  }
  return out;
}
