import type { EXIT } from '../errors.js';

/**
 * check's report: the cutover checklist (`--json` shape, docs/json-report.md).
 * Before the switch it reads each instance's env file and probes the shared
 * PostgreSQL and Redis; after it, it asks the instances' HTTP endpoints, the
 * server's pg_stat_activity and the ledger. No field ever holds a secret: DSNs
 * are masked, tokens and passwords never copied.
 */
export type CheckPhase = 'before' | 'after';

/** pass: as it should be; fail: the cutover is not safe (exit 5); warn: worth a look, not failing; skip: could not be checked here (the detail says why and what would check it). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckItem {
  /** Stable identifier, dotted: `env.same-postgres`, `pg.tls`, `redis.auth`, `http.readyz`, … */
  readonly id: string;
  readonly phase: CheckPhase;
  /** One line an operator reads in the checklist, e.g. "PostgreSQL negotiates TLS". */
  readonly title: string;
  /** What the item is about when it is per instance or per URL (an env file's path, a URL without credentials); null when it is about the whole deployment. */
  readonly subject: string | null;
  readonly status: CheckStatus;
  /** What was found: the values compared (masked), the numbers of the pool arithmetic, the HTTP status and body excerpt. Never a secret. */
  readonly detail: string;
  /** For fail, warn and skip: what to do about it, concretely (the variable to set, the value, the command). null on pass. */
  readonly fix: string | null;
}

export interface CheckReport {
  readonly command: 'check';
  /** 0 when no item failed, 5 when any did. */
  readonly exitCode: typeof EXIT.OK | typeof EXIT.REFUSED;
  readonly ok: boolean;
  /** The phases that ran: `before` with env files or a DSN, `after` with URLs. */
  readonly phases: readonly CheckPhase[];
  /** The instances whose env files were read, each named by its files (`a.env`, or `a.env + a.conf` with a --drop-in). */
  readonly instances: readonly string[];
  readonly items: readonly CheckItem[];
  readonly counts: { readonly pass: number; readonly fail: number; readonly warn: number; readonly skip: number };
}
