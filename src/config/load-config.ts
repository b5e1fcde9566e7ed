import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { ConfigError } from '../errors.js';
import { assertTimeZone } from '../tables/timestamp.js';
import { parseDsn, type TargetDsn } from './dsn.js';

/**
 * Flags and environment → one frozen config. This is the only module that reads
 * process.env; precedence lives here and nowhere else:
 * DSN: --database-url, ARAGORA_POSTGRES_DSN, DATABASE_URL (the app's own order,
 * reference §6); data dir: --data-dir, ARAGORA_DATA_DIR, ARAGORA_NOMIC_DIR, .nomic.
 */
export interface CommonFlags {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly instance?: string;
  readonly schema?: string;
  readonly sourceTimezone?: string;
  readonly mappings?: string;
  readonly allowLive?: boolean;
  readonly widenColumns?: boolean;
  readonly allowEmpty?: boolean;
}

export interface ResolvedConfig {
  readonly dataDir: string;
  readonly dataDirSource: 'flag' | 'ARAGORA_DATA_DIR' | 'ARAGORA_NOMIC_DIR' | 'default';
  readonly target: TargetDsn | null;
  readonly instance: string;
  /** Whether --instance named it; otherwise it is the host name, and verify and archive take the data dir's only instance (src/pipeline/shared/find-run.ts). */
  readonly instanceGiven: boolean;
  readonly schema: string;
  readonly sourceTimezone: string;
  /** A mapping folder; null means the shipped `aragora` set. */
  readonly mappingsDir: string | null;
  readonly allowLive: boolean;
  /**
   * Existing `integer` and `real` target columns the values need wider are
   * altered to bigint and double precision (plan and migrate); without it such
   * a column refuses the run, and `real` columns take float4-rounded values.
   */
  readonly widenColumns: boolean;
  /** A data dir with no table of the mapping set is migrated anyway (nothing moves) instead of refused. */
  readonly allowEmpty: boolean;
}

/** Where the data dir came from, for messages: the flag, or the variable that set it. */
export function dataDirOrigin(config: ResolvedConfig): string {
  return config.dataDirSource === 'flag'
    ? '--data-dir'
    : config.dataDirSource === 'default'
      ? 'the default, .nomic'
      : config.dataDirSource;
}

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

export function loadConfig(flags: CommonFlags, env: Env = process.env): ResolvedConfig {
  let dataDir: string;
  let dataDirSource: ResolvedConfig['dataDirSource'];
  const fromFlag = nonEmpty(flags.dataDir);
  const fromData = nonEmpty(env.ARAGORA_DATA_DIR);
  const fromNomic = nonEmpty(env.ARAGORA_NOMIC_DIR);
  if (fromFlag !== undefined) [dataDir, dataDirSource] = [fromFlag, 'flag'];
  else if (fromData !== undefined) [dataDir, dataDirSource] = [fromData, 'ARAGORA_DATA_DIR'];
  else if (fromNomic !== undefined) [dataDir, dataDirSource] = [fromNomic, 'ARAGORA_NOMIC_DIR'];
  else [dataDir, dataDirSource] = ['.nomic', 'default'];

  const dsn = nonEmpty(flags.databaseUrl) ?? nonEmpty(env.ARAGORA_POSTGRES_DSN) ?? nonEmpty(env.DATABASE_URL);
  const sourceTimezone = flags.sourceTimezone ?? DEFAULTS.sourceTimezone;
  try {
    assertTimeZone(sourceTimezone);
  } catch {
    throw new ConfigError('CONFIG_INVALID', `unknown time zone "${sourceTimezone}" for --source-timezone`, {
      hint: 'Use an IANA name such as UTC, Europe/Berlin or America/New_York.',
    });
  }
  const schema = flags.schema ?? DEFAULTS.schema;
  if (schema.length === 0 || schema.length > 63) {
    throw new ConfigError('CONFIG_INVALID', `--schema must be 1 to 63 characters (got "${schema}")`);
  }
  const instance = nonEmpty(flags.instance) ?? hostname();
  return Object.freeze({
    dataDir: resolve(dataDir),
    dataDirSource,
    target: dsn === undefined ? null : parseDsn(dsn),
    instance,
    instanceGiven: nonEmpty(flags.instance) !== undefined,
    schema,
    sourceTimezone,
    mappingsDir: nonEmpty(flags.mappings) === undefined ? null : resolve(flags.mappings as string),
    allowLive: flags.allowLive ?? false,
    widenColumns: flags.widenColumns ?? false,
    allowEmpty: flags.allowEmpty ?? false,
  });
}
