import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  assertDataDir,
  type CommonFlags,
  dataDirOrigin,
  DEFAULTS,
  loadBuiltinMappingSet,
  loadConfig,
  mappingSetOrThrow,
  type MappingSet,
  type ResolvedConfig,
  withAutoMappings,
} from '../index.js';

/** The flags every command that reads the sources (and may reach the target) takes. */
export interface SourceTargetFlags {
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
  mappings?: string;
  auto?: boolean;
  sourceTimezone?: string;
  instance?: string;
  allowLive?: boolean;
  widenColumns?: boolean;
  allowEmpty?: boolean;
  envFile?: string[];
}

/** --data-dir, and --env-file, which every command that reads a data dir or DSN variable takes. */
export function addDataDirFlag(cmd: Command): Command {
  return addEnvFileFlag(
    cmd.option(
      '--data-dir <dir>',
      'folder holding the SQLite files (default: $ARAGORA_DATA_DIR, $ARAGORA_NOMIC_DIR, then .nomic)',
    ),
  );
}

/** `--env-file`, repeatable: read into CommonFlags.envFile in the order given (src/config/load-config.ts merges them). */
export function addEnvFileFlag(cmd: Command): Command {
  return cmd.option(
    '--env-file <path>',
    'read $ARAGORA_POSTGRES_DSN, $DATABASE_URL, $ARAGORA_DATA_DIR and $ARAGORA_NOMIC_DIR from a KEY=VALUE file or a systemd drop-in (repeatable, later files win; flags and the real environment win over them)',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

export function addTargetFlags(cmd: Command): Command {
  return cmd
    .option(
      '--database-url <dsn>',
      'target PostgreSQL (default: $ARAGORA_POSTGRES_DSN, then $DATABASE_URL); sslmode as in libpq',
    )
    .option('--schema <name>', 'target schema', DEFAULTS.schema);
}

export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option('--mappings <dir>', 'a folder of mapping files to use instead of the shipped aragora set')
    .addOption(
      new Option(
        '--auto',
        "also migrate every table of the data dir's SQLite files that the mappings do not name, as its SQLite schema declares it (any SQLite file, not only Aragora's)",
      ).default(false),
    )
    .option('--source-timezone <tz>', 'time zone of naive timestamps in SQLite (IANA name)', DEFAULTS.sourceTimezone)
    .option('--instance <name>', 'name of this instance in reports and the ledger (default: host name)')
    .addOption(
      new Option('--allow-live', 'read files another process holds open (rows written meanwhile are missed)').default(
        false,
      ),
    );
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
    .addOption(
      new Option(
        '--allow-empty',
        'go on when no file of the data dir holds a table of the mapping set (nothing is migrated) instead of refusing',
      ).default(false),
    );
}

/** Data dir, target and source flags: what plan, migrate and verify all take. */
export function addSourceTargetFlags(cmd: Command): Command {
  return addSourceFlags(addTargetFlags(addDataDirFlag(cmd)));
}

/** The configuration and the mapping set a command runs with; with --auto, the data dir's other tables mapped too. */
export async function resolve(
  flags: CommonFlags & { auto?: boolean },
): Promise<{ config: ResolvedConfig; mappings: MappingSet }> {
  const config = loadConfig(flags);
  const mappings = config.mappingsDir === null ? loadBuiltinMappingSet() : mappingSetOrThrow(config.mappingsDir);
  if (flags.auto !== true) return { config, mappings };
  assertDataDir(config.dataDir, dataDirOrigin(config));
  return {
    config,
    mappings: await withAutoMappings(mappings, {
      dataDir: config.dataDir,
      allowLive: config.allowLive,
      target: config.target === null ? null : { dsn: config.target, schema: config.schema },
    }),
  };
}

/** commander's parser for flags that take a count: a whole number of at least 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** commander's parser for --max-rejects: 0 (no reject at all) and up. */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number of at least 0');
  return n;
}
