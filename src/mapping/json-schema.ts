import { z } from 'zod';
import { StoreMappingSchema } from './schema.js';

/**
 * The JSON Schema of a mapping file, derived from the zod schema so the two
 * cannot disagree. Editors use it (through each file's `"$schema"`) for
 * completion and inline errors; `mappings/mapping.schema.json` is this, written
 * by `scripts/gen-mapping-schema.ts` and checked by a test so it cannot drift.
 */
export function mappingJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(StoreMappingSchema, {
    target: 'draft-2020-12',
    // The input shape: fields with defaults (nullable, unique, conflict, …) are
    // optional for whoever writes a mapping.
    io: 'input',
  });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'aragora-migrate mapping',
    description:
      'One store of a mapping set: the SQLite files it lives in, and per source table its target table, key, conflict policy and per-column conversion.',
    ...rest,
  };
}

/** The file's exact text (two-space indent, trailing newline), shared by the generator and its test. */
export function mappingJsonSchemaText(): string {
  return `${JSON.stringify(mappingJsonSchema(), null, 2)}\n`;
}
