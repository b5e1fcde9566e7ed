import type pg from 'pg';
import { oncePerConnection } from '../util/per-connection.js';
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

/**
 * Whether the database stores text as UTF-8: the binary row hash counts a
 * text's bytes with octet_length, which are the UTF-8 bytes binary COPY sent
 * only then (src/target/binary-copy.ts).
 */
export const storesUtf8: (client: pg.Client) => Promise<boolean> = oncePerConnection((client: pg.Client) =>
  // A database's encoding is fixed when it is created.
  client
    .query<{ e: string }>('SELECT current_setting($1) AS e', ['server_encoding'])
    .then((r) => r.rows[0]?.e === 'UTF8'),
);
