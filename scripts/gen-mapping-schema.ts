/**
 * Writes mappings/mapping.schema.json from the zod schema.
 *
 *   npx tsx scripts/gen-mapping-schema.ts           # regenerate
 *   npx tsx scripts/gen-mapping-schema.ts --check   # exit 1 if the file is stale (CI)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mappingJsonSchemaText } from '../src/mapping/json-schema.js';

const target = fileURLToPath(new URL('../mappings/mapping.schema.json', import.meta.url));
const text = mappingJsonSchemaText();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    process.stderr.write(`${target} is stale; run: npx tsx scripts/gen-mapping-schema.ts\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
