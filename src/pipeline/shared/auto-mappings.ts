import { mappingErrorFrom, loadMappingSet, type DerivedStore, type MappingSet } from '../../mapping/load.js';
import { checkTable } from '../../mapping/rules.js';
import { TableSpecSchema, type TableSpec } from '../../mapping/schema.js';
import { autoTable } from '../../source/auto-mapping.js';
import { discover } from '../../source/discover.js';

/**
 * `--auto`: the mapping set, and for every table of the data dir's SQLite
 * files that it does not name, the mapping SQLite's own schema gives it
 * (src/source/auto-mapping.ts): any SQLite file migrates, not only Aragora's.
 * One store per file, named after it; a table name two files share is mapped
 * once, from the first file (in path order), and the second file's rows go
 * into the same table, as Aragora's positions do. A table the derivation
 * cannot map (a name longer than PostgreSQL takes, or the empty name) stays
 * unmapped, and plan lists it as such. The same files give the same set, so
 * plan, migrate, verify and rollback agree.
 */
export async function withAutoMappings(
  base: MappingSet,
  opts: { readonly dataDir: string; readonly allowLive: boolean },
): Promise<MappingSet> {
  const scan = await discover({ dataDir: opts.dataDir, mappings: base, allowLive: opts.allowLive, integrity: false });
  const mapped = new Set(base.bySource.keys());
  const derived: DerivedStore[] = [];
  for (const file of scan.files) {
    if (file.status !== 'ok' && file.status !== 'busy') continue;
    const tables: TableSpec[] = [];
    for (const obj of file.objects) {
      if (obj.type !== 'table' || obj.skipReason !== null || mapped.has(obj.name)) continue;
      const spec = mappable(autoTable(obj));
      if (spec === null) continue;
      mapped.add(obj.name);
      tables.push(spec);
    }
    if (tables.length > 0)
      derived.push({
        label: `--auto: ${file.path}`,
        json: {
          name: `auto: ${file.path}`,
          description: `derived by --auto from the SQLite schema of ${file.path}`,
          files: { legacy: [], consolidated: [] },
          tables,
        },
      });
  }
  if (derived.length === 0) return base;
  const loaded = loadMappingSet(base.dir, derived);
  if (!loaded.ok) throw mappingErrorFrom(loaded);
  return loaded.value;
}

/**
 * The derived table as a mapping can hold it: a column without a name is
 * left to be carried over as the tool carries any column a mapping does not
 * name (as `sqlite_unnamed`); a table whose mapping would still break the
 * schema or its rules is not mapped at all.
 */
function mappable(spec: TableSpec): TableSpec | null {
  const named = { ...spec, columns: spec.columns.filter((c) => c.name !== '') };
  if (named.key.some((k) => !named.columns.some((c) => c.name === k))) return null;
  const parsed = TableSpecSchema.safeParse(named);
  if (!parsed.success) return null;
  return checkTable(parsed.data, '').some((p) => p.severity === 'error') ? null : parsed.data;
}
