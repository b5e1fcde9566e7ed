import type pg from 'pg';
import { qualified } from '../util/quote.js';

/** A target table's columns with their types (format_type's spelling): what verify's canonical forms follow. */
export async function targetColumnTypes(
  client: pg.Client,
  schema: string,
  target: string,
): Promise<Map<string, string>> {
  const r = await client.query<{ c: string; t: string }>(
    `SELECT a.attname AS c, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [qualified(schema, target)],
  );
  return new Map(r.rows.map((x) => [x.c, x.t] as const));
}
