import type { TargetDsn } from '../../config/dsn.js';

/**
 * What the after-the-switch checks (src/pipeline/check/after-switch.ts) need,
 * resolved from check's flags by src/pipeline/check/check.ts.
 */
export interface AfterSwitchOptions {
  /** https://<load balancer>: --url */
  readonly loadBalancerUrl: string | null;
  /** Each instance's direct URL: --instance-url, repeatable */
  readonly instanceUrls: readonly string[];
  /** The shared PostgreSQL, for pg_stat_activity and the ledger; null: those items are skipped with a fix saying to pass --database-url. */
  readonly target: TargetDsn | null;
  /** How many instances should share the server: --instances N, else the number of --instance-url, else the number of env files. */
  readonly expectedInstances: number;
  /** Per HTTP request, ms (--timeout, default 5000). */
  readonly timeoutMs: number;
  /** PEM CA file for https endpoints with a private CA (--ca-file); undefined: the system's roots. */
  readonly caFile?: string;
  /** Instance names whose SQLite files are kept on purpose instead of archived (--keep-files <instance>, repeatable). */
  readonly keptInstances: readonly string[];
  /** Aragora's API token (ARAGORA_API_TOKEN from the instances' env files), for `GET /api/v1/debates` when the instances enforce auth; a secret: sent as a header, never shown. */
  readonly apiToken?: string;
}
