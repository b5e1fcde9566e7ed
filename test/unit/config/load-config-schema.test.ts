import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';

/**
 * --schema names where the application's tables go. The ledger's own schema
 * would put a source table called `runs` or `batches` into the ledger's
 * tables, and pg_catalog took a plan's GO and failed at CREATE TABLE: each is
 * refused before any connection, with a hint.
 */
describe('--schema', () => {
  it.each(['aragora_migrate', 'pg_catalog', 'pg_toast', 'pg_temp_1', 'information_schema'])('refuses %s', (schema) => {
    expect(() => loadConfig({ schema }, {})).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: `--schema ${schema} is not a schema the application's tables can go in`,
      }),
    );
  });

  it('takes any other name, by its bytes up to 63', () => {
    for (const schema of ['public', 'aragora', 'My Schema', 'pgx', 'ä'.repeat(31)])
      expect(loadConfig({ schema }, {}).schema).toBe(schema);
    expect(() => loadConfig({ schema: 'ä'.repeat(32) }, {})).toThrow(/1 to 63 bytes/);
  });
});
