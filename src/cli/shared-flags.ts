import { Option, type Command } from 'commander';
import { loadConfig, type CommonFlags, type ResolvedConfig } from '../config/load-config.js';
import { loadBuiltinMappingSet, loadMappingSet, mappingErrorFrom, type MappingSet } from '../mapping/load.js';

/** The flags every command that reads the sources (and may reach the target) takes. */
export interface SourceTargetFlags {
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
  mappings?: string;
  sourceTimezone?: string;
  instance?: string;
  allowLive?: boolean;
  widenColumns?: boolean;
  allowEmpty?: boolean;
}

export function addDataDirFlag(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'folder holding the SQLite files (default: $ARAGORA_DATA_DIR, $ARAGORA_NOMIC_DIR, then .nomic)');
}

export function addTargetFlags(cmd: Command): Command {
  return cmd
    .option('--database-url <dsn>', 'target PostgreSQL (default: $ARAGORA_POSTGRES_DSN, then $DATABASE_URL); sslmode as in libpq')
    .option('--schema <name>', 'target schema', 'public');
}

export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option('--mappings <dir>', 'a folder of mapping files to use instead of the shipped aragora set')
    .option('--source-timezone <tz>', 'time zone of naive timestamps in SQLite (IANA name)', 'UTC')
    .option('--instance <name>', 'name of this instance in reports and the ledger (default: host name)')
    .addOption(new Option('--allow-live', 'read files another process holds open (rows written meanwhile are missed)').default(false));
}

/** What plan and migrate take: how existing application tables are loaded into, and whether an empty data dir is meant. */
export function addLoadFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--widen-columns',
        'ALTER existing integer/real target columns to bigint/double precision where the values need it (rewrites those tables under an exclusive lock), instead of refusing or rounding to float4',
      ).default(false),
    )
    .addOption(new Option('--allow-empty', 'go on when no file of the data dir holds a table of the mapping set (nothing is migrated) instead of refusing').default(false));
}

/** Data dir, target and source flags: what plan, migrate and verify all take. */
export function addSourceTargetFlags(cmd: Command): Command {
  return addSourceFlags(addTargetFlags(addDataDirFlag(cmd)));
}

export function resolve(flags: CommonFlags): { config: ResolvedConfig; mappings: MappingSet } {
  const config = loadConfig(flags);
  if (config.mappingsDir === null) return { config, mappings: loadBuiltinMappingSet() };
  const loaded = loadMappingSet(config.mappingsDir);
  if (!loaded.ok) throw mappingErrorFrom(loaded);
  return { config, mappings: loaded.value };
}
