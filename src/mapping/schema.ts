import { z } from 'zod';

/**
 * The mapping format: data, not code. One file per Aragora store (or per generic
 * SQLite file with `--auto`), listing every source table with its target, key,
 * conflict policy and per-column conversion.
 *
 * ### Example
 * ```json
 * { "name": "elo", "files": { "legacy": ["agent_elo.db"], "consolidated": ["analytics.db"] },
 *   "tables": [{ "source": "ratings", "target": "elo_ratings", "key": ["agent_name"],
 *     "columns": [{ "name": "agent_name", "type": "text", "nullable": false }] }] }
 * ```
 */

/** PostgreSQL column types the tool creates and converts to. */
export const TARGET_TYPES = [
  'text',
  'bigint',
  'integer',
  'double precision',
  /** float4: only where an existing table has it (values are rounded, each a precision_loss repair). */
  'real',
  'numeric',
  'boolean',
  'timestamptz',
  'jsonb',
  'bytea',
  /** Full-text vectors: app-only columns a trigger fills (`targetOnly`), never read from SQLite. */
  'tsvector',
] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/**
 * How a source value becomes a target value. Defaults follow the target type;
 * `verbatim` copies text byte for byte (values feeding a stored hash) and rejects
 * rather than repairs.
 */
export const CONVERTERS = [
  'text',
  'verbatim',
  'integer',
  'float',
  'numeric',
  'boolean',
  'timestamp',
  'json',
  'blob',
] as const;
export type ConverterName = (typeof CONVERTERS)[number];

/** What happens to a value a policy covers: repaired (and recorded) or the row rejected. */
const RepairOrReject = z.enum(['repair', 'reject']);

/** Per-column overrides of the default value policies (docs/aragora-schema.md, "Value policies"), keyed by finding kind. */
export const ColumnPolicySchema = z
  .object({
    nul_byte: RepairOrReject.optional(),
    invalid_utf8: RepairOrReject.optional(),
    json_nonfinite: RepairOrReject.optional(),
    json_nul: RepairOrReject.optional(),
  })
  .strict();
export type ColumnPolicy = z.infer<typeof ColumnPolicySchema>;

/**
 * The names of PostgreSQL's system columns: no table can have a column of
 * its own so named ("column name "xmin" conflicts with a system column
 * name"). Quoted names are case-sensitive, so `XMIN` is free. `oid` left
 * the list in PostgreSQL 12.
 */
export const SYSTEM_COLUMN_NAMES: ReadonlySet<string> = new Set(['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid']);

/** PostgreSQL cuts names at 63 bytes (NAMEDATALEN - 1), not characters: two long names could become one. */
export const MAX_IDENTIFIER_BYTES = 63;
const Identifier = z
  .string()
  .min(1)
  // Characters: what JSON Schema can say (editors check it); bytes: what PostgreSQL counts.
  .max(MAX_IDENTIFIER_BYTES)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_IDENTIFIER_BYTES, {
    message: `at most ${MAX_IDENTIFIER_BYTES} bytes in UTF-8: PostgreSQL cuts longer names`,
  });

export const ColumnSpecSchema = z
  .object({
    /** Column name in SQLite; for a `targetOnly` column, its name in the target. */
    name: Identifier,
    /** Column name in PostgreSQL; defaults to `name`. */
    target: Identifier.optional(),
    type: z.enum(TARGET_TYPES),
    /** Defaults from `type`: text→text, bigint/integer→integer, … */
    convert: z.enum(CONVERTERS).optional(),
    nullable: z.boolean().default(true),
    /** SQL default expression for the target DDL, e.g. `0`, `'{}'::jsonb`, `now()`. */
    default: z.string().optional(),
    /**
     * Value used when the source table lacks this column (older schemas, e.g.
     * continuum files without `red_line`). Reported as `missing_column`, action repair.
     * Without it a missing column is a blocking finding.
     */
    whenMissing: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    /**
     * When the source table lacks this column, its value comes from a key of a
     * JSON column of the same row (`dissent.reasoning` lives inside `data`). An
     * absent key gets `whenMissing`; a JSON null is NULL.
     */
    fromJson: z
      .object({ column: Identifier, key: z.string().min(1) })
      .strict()
      .optional(),
    /** The column exists only in the target (app-only columns); it gets its default. */
    targetOnly: z.boolean().default(false),
    /**
     * For a targetOnly column the target fills itself (a trigger): the SQL
     * expression, over the row's target columns, it must equal in every row.
     * verify checks it.
     */
    verifyEquals: z.string().min(1).optional(),
    policy: ColumnPolicySchema.optional(),
    note: z.string().optional(),
  })
  .strict();
export type ColumnSpec = z.infer<typeof ColumnSpecSchema>;

export const MERGE_RULES = ['sum', 'max', 'min', 'union', 'merge-keys', 'keep', 'incoming'] as const;

export const MergeRuleSchema = z.union([
  z.enum(MERGE_RULES),
  z.object({ rule: z.literal('weighted-mean'), weight: Identifier }).strict(),
  z.object({ rule: z.literal('merge-keys'), weight: Identifier.optional() }).strict(),
]);
export type MergeRule = z.infer<typeof MergeRuleSchema>;

/**
 * What happens when an incoming row's key already exists in the target (a second
 * instance merging into tables another one filled).
 */
export const ConflictSchema = z.discriminatedUnion('policy', [
  z
    .object({
      policy: z.literal('keep-existing'),
      /** The dropped incoming rows need an operator's review (a singleton only one instance can own): reported as a warning. */
      warn: z.boolean().optional(),
      reason: z.string().optional(),
    })
    .strict(),
  z.object({ policy: z.literal('overwrite'), reason: z.string().optional() }).strict(),
  z.object({ policy: z.literal('newest'), column: Identifier, reason: z.string().optional() }).strict(),
  z
    .object({
      policy: z.literal('merge'),
      columns: z.record(Identifier, MergeRuleSchema),
      reason: z.string().optional(),
    })
    .strict(),
  z.object({ policy: z.literal('fail'), reason: z.string().optional() }).strict(),
  /** Distinct records whose ids collide by accident: both kept, the incoming one re-keyed. */
  z.object({ policy: z.literal('keep-both'), reason: z.string().optional() }).strict(),
]);
export type Conflict = z.infer<typeof ConflictSchema>;

export const ForeignKeySchema = z
  .object({
    columns: z.array(Identifier).min(1),
    references: z.object({ table: Identifier, columns: z.array(Identifier).min(1) }).strict(),
    /**
     * The application's PostgreSQL schema declares this key: the tool adds it to
     * a table it creates, after the load (`NOT VALID` when orphans are kept), and
     * loads the referenced table first. Otherwise the key is only profiled.
     */
    enforce: z.boolean().default(false),
    onDelete: z.enum(['cascade', 'restrict', 'set null', 'set default', 'no action']).optional(),
  })
  .strict();
export type ForeignKey = z.infer<typeof ForeignKeySchema>;

export const IndexSchema = z
  .object({
    name: Identifier,
    /** `column [ASC|DESC] [NULLS FIRST|LAST]` entries. */
    columns: z.array(z.string().min(1)).min(1),
    /** The index method; btree when absent. */
    using: z.enum(['btree', 'gin', 'gist', 'hash', 'brin']).optional(),
  })
  .strict();
export type IndexSpec = z.infer<typeof IndexSchema>;

/**
 * A row trigger the application's schema puts on the table, with its trigger
 * function. The tool creates both before the load, so COPY fires it for every
 * migrated row (`insights.search_vector`).
 */
export const TriggerSchema = z
  .object({
    name: Identifier,
    timing: z.enum(['BEFORE', 'AFTER']),
    events: z.array(z.enum(['INSERT', 'UPDATE', 'DELETE'])).min(1),
    function: z
      .object({
        name: Identifier,
        language: z.enum(['plpgsql', 'sql']),
        /** The function body, between the dollar quotes. */
        body: z.string().min(1),
      })
      .strict(),
  })
  .strict();
export type TriggerSpec = z.infer<typeof TriggerSchema>;

export const TableSpecSchema = z
  .object({
    /** Table name in SQLite. */
    source: Identifier,
    /** Table name in PostgreSQL (schema from `--schema`). */
    target: Identifier,
    /**
     * Natural key, in source column names: what identifies a row across instances.
     * Used for example keys, conflicts and verify.
     */
    key: z.array(Identifier).min(1),
    /** Target primary key (source column names); defaults to `key`. */
    primaryKey: z.array(Identifier).min(1).optional(),
    /**
     * An autoincrement surrogate id (INTEGER PRIMARY KEY AUTOINCREMENT). The target
     * creates it as an identity; ids that collide are re-assigned by the target.
     */
    surrogateKey: Identifier.optional(),
    unique: z.array(z.array(Identifier).min(1)).default([]),
    indexes: z.array(IndexSchema).default([]),
    /**
     * Foreign keys, by source table and column names. SQLite never enforced them;
     * each is profiled for orphans, and one the application declares (`enforce`)
     * is created in the target.
     */
    foreignKeys: z.array(ForeignKeySchema).default([]),
    triggers: z.array(TriggerSchema).default([]),
    conflict: ConflictSchema.default({ policy: 'fail' }),
    columns: z.array(ColumnSpecSchema).min(1),
    note: z.string().optional(),
  })
  .strict();
export type TableSpec = z.infer<typeof TableSpecSchema>;

export const StoreMappingSchema = z
  .object({
    $schema: z.string().optional(),
    /** Logical store, e.g. `elo`, `continuum`. */
    name: z.string().min(1),
    description: z.string().optional(),
    /**
     * The `_schema_versions` module of the application's PostgreSQL store that
     * owns these tables (`insight_store`), when it has one. Its rows are never
     * copied; rollback keeps a table the application has recorded.
     */
    appModule: z.string().min(1).optional(),
    /** File names the store lives in, per layout. */
    files: z
      .object({
        legacy: z.array(z.string().min(1)).default([]),
        consolidated: z.array(z.string().min(1)).default([]),
      })
      .strict(),
    tables: z.array(TableSpecSchema).min(1),
  })
  .strict();
export type StoreMapping = z.infer<typeof StoreMappingSchema>;
