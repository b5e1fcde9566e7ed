import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { ConfigError } from '../errors.js';
import { assertTimeZone } from '../tables/timestamp.js';
import { parseDsn, type TargetDsn } from './dsn.js';
import { parseEnvFile, type EnvFile } from './env-file.js';

/**
 * Flags and environment → one frozen config. This is the only module that reads
 * process.env; precedence lives here and nowhere else:
 * DSN: --database-url, ARAGORA_POSTGRES_DSN, DATABASE_URL (the app's own order,
 * reference §6); data dir: --data-dir, ARAGORA_DATA_DIR, ARAGORA_NOMIC_DIR, .nomic.
 * Each variable is taken from the real environment, else from the last
 * --env-file that sets it (flags > environment > env files, as docker's --env
 * beats its --env-file); empty counts as unset wherever it comes from. The
 * merge is per variable, so the app's order above then applies as it would in
 * the service the files configure.
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
  /** `--env-file`, in the order given: later files win (src/config/env-file.ts reads them). */
  readonly envFile?: readonly string[];
}

export interface ResolvedConfig {
  readonly dataDir: string;
  readonly dataDirSource: 'flag' | 'ARAGORA_DATA_DIR' | 'ARAGORA_NOMIC_DIR' | 'default';
  /** The --env-file the data dir variable came from; null when it came from elsewhere. */
  readonly dataDirFile: string | null;
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
      : config.dataDirFile === null
        ? config.dataDirSource
        : `${config.dataDirSource} in ${config.dataDirFile}`;
}

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

/** Every variable loadConfig reads, and so every one an env file can supply. */
export const CONFIG_ENV_VARS = [
  'ARAGORA_POSTGRES_DSN',
  'DATABASE_URL',
  'ARAGORA_DATA_DIR',
  'ARAGORA_NOMIC_DIR',
] as const;

export function readEnvFile(path: string): EnvFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError('CONFIG_ENV_FILE', `cannot read the env file ${path} (${code})`, {
      file: path,
      hint: 'Check the path given to --env-file and that this user may read it (/etc/aragora/env is often readable by root only).',
    });
  }
  return parseEnvFile(text, path);
}

/**
 * The environment with each of CONFIG_ENV_VARS the real one leaves unset taken
 * from the last file that sets it, and where each came from. A drop-in value
 * only systemd can expand is refused here, where it would be used.
 */
export function mergeEnvFiles(env: Env, files: readonly EnvFile[]): { env: Env; origin: ReadonlyMap<string, string> } {
  const merged: Record<string, string | undefined> = { ...env };
  const origin = new Map<string, string>();
  for (const name of CONFIG_ENV_VARS) {
    if (nonEmpty(env[name]) !== undefined) continue;
    const file = files.findLast((f) => nonEmpty(f.vars.get(name)?.value) !== undefined);
    const set = file?.vars.get(name);
    if (file === undefined || set === undefined) continue;
    if (set.unresolved)
      throw new ConfigError(
        'CONFIG_ENV_FILE',
        `${file.path}:${set.line}: ${name} holds a systemd specifier (a % not doubled) that only systemd can expand`,
        { file: file.path, hint: 'Write %% for a literal percent sign, or pass the value with a flag.' },
      );
    merged[name] = set.value;
    origin.set(name, file.path);
  }
  return { env: merged, origin };
}

export function loadConfig(flags: CommonFlags, realEnv: Env = process.env): ResolvedConfig {
  const { env, origin } = mergeEnvFiles(realEnv, (flags.envFile ?? []).map(readEnvFile));
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
  if (schema.length === 0 || Buffer.byteLength(schema, 'utf8') > 63) {
    throw new ConfigError('CONFIG_INVALID', `--schema must be 1 to 63 bytes (got "${schema}")`);
  }
  // The ledger's own schema (src/ledger/schema.ts), whose tables a source
  // table of the same name would merge into, and the schemas PostgreSQL keeps
  // for itself (pg_*, information_schema), where no table belongs.
  if (schema === 'aragora_migrate' || schema.startsWith('pg_') || schema === 'information_schema') {
    throw new ConfigError('CONFIG_INVALID', `--schema ${schema} is not a schema the application's tables can go in`, {
      hint: `Name the schema the application reads its tables from (public unless it sets another search_path); ${schema === 'aragora_migrate' ? 'aragora_migrate is the ledger of this tool' : 'PostgreSQL keeps it for its own catalogs'}.`,
    });
  }
  const instance = nonEmpty(flags.instance) ?? hostname();
  return Object.freeze({
    dataDir: resolve(dataDir),
    dataDirSource,
    dataDirFile: dataDirSource === 'flag' || dataDirSource === 'default' ? null : (origin.get(dataDirSource) ?? null),
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
