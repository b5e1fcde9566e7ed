import type { CheckItem } from '../../report/check-report.js';
import { envVar, names, type InstanceEnv } from './env-instances.js';
import { before } from './items.js';
import { pgTarget, PgTargetError } from './pg-target.js';
import { instanceTarget, sameTargetItem, type TargetSource } from './same-target.js';

/**
 * The instances' PostgreSQL settings: which server each names (Aragora reads
 * ARAGORA_POSTGRES_DSN first, then DATABASE_URL), that it is the same one
 * for all, and that each asks for TLS.
 */

/** An instance's DSN as the service reads it, or why there is none. */
export interface InstanceDsn {
  readonly source: TargetSource;
  /** The DSN text, when the file sets one. */
  readonly raw: string | null;
  readonly sslMode: string | null;
}

export function instanceDsn(inst: InstanceEnv): InstanceDsn {
  const t = instanceTarget(
    inst,
    ['ARAGORA_POSTGRES_DSN', 'DATABASE_URL'],
    (value) => {
      const p = pgTarget(value);
      return { target: p.target, password: p.password, asked: p.sslMode };
    },
    (err) => (err instanceof PgTargetError ? err.message : null),
  );
  return { source: t.source, raw: t.raw, sslMode: t.asked };
}

export function samePostgresItem(dsns: readonly InstanceDsn[]): CheckItem {
  return sameTargetItem(
    {
      id: 'env.same-postgres',
      title: 'Every instance names the same PostgreSQL',
      server: 'PostgreSQL',
      variables: 'ARAGORA_POSTGRES_DSN and DATABASE_URL',
      variable: 'ARAGORA_POSTGRES_DSN',
      flag: '--database-url',
    },
    dsns.map((d) => d.source),
  );
}

const STRONG = new Set(['require', 'verify-ca', 'verify-full']);

/** sslmode require or stronger in every DSN the instances use (and in the one check probes with, when given apart). */
export function sslModeItem(dsns: readonly InstanceDsn[], probe: { label: string; sslMode: string } | null): CheckItem {
  const title = 'sslmode is require or stronger';
  const modes = dsns.flatMap((d) =>
    d.source.state === 'set' && d.sslMode !== null ? [{ label: d.source.where, mode: d.sslMode }] : [],
  );
  // The instances' own DSNs are what matters; the probe's stands in only when no file gives one.
  if (probe !== null && modes.length === 0) modes.push({ label: probe.label, mode: probe.sslMode });
  if (modes.length === 0)
    return before(
      'env.sslmode',
      title,
      'skip',
      dsns.some((d) => d.source.state === 'secrets-manager')
        ? 'the DSN is in AWS Secrets Manager, not in the files'
        : 'no DSN to read sslmode from',
      'pass --database-url with the DSN the instances use',
    );
  const weak = modes.filter((m) => !STRONG.has(m.mode));
  const said = (list: typeof modes): string => list.map((m) => `${m.mode} in ${m.label}`).join(', ');
  if (weak.length === 0) return before('env.sslmode', title, 'pass', said(modes));
  return before(
    'env.sslmode',
    title,
    'fail',
    `${said(weak)}: the connection may go unencrypted${weak.some((m) => m.mode === 'prefer') ? ' (prefer, the default when sslmode is absent, falls back to plain text)' : ''}`,
    `add sslmode=require (or verify-full with sslrootcert=<the server's CA>) to the DSN at ${names(weak.map((m) => m.label))}`,
  );
}

/**
 * A warning, only when it applies: an instance whose DATABASE_URL names
 * another server than its ARAGORA_POSTGRES_DSN (Aragora's settings-based pool
 * reads DATABASE_URL), or that sets SUPABASE_POSTGRES_DSN, which Aragora's
 * shared pool prefers over both.
 */
export function postgresVarsItem(instances: readonly InstanceEnv[]): CheckItem | null {
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const inst of instances) {
    const a = envVar(inst, 'ARAGORA_POSTGRES_DSN');
    const d = envVar(inst, 'DATABASE_URL');
    if (a !== undefined && d !== undefined && !a.unresolved && !d.unresolved) {
      const target = (raw: string): string | null => {
        try {
          return pgTarget(raw).target;
        } catch {
          return null;
        }
      };
      const [ta, td] = [target(a.value), target(d.value)];
      if (ta !== null && td !== null && ta !== td) {
        problems.push(`${inst.name}: DATABASE_URL (${d.where}) names ${td}, ARAGORA_POSTGRES_DSN (${a.where}) ${ta}`);
        fixes.push(`set DATABASE_URL at ${d.where} to the same server, or remove it`);
      }
    }
    const s = envVar(inst, 'SUPABASE_POSTGRES_DSN');
    if (s !== undefined) {
      problems.push(`${inst.name}: SUPABASE_POSTGRES_DSN is set (${s.where}); Aragora's shared pool prefers it`);
      fixes.push(`remove SUPABASE_POSTGRES_DSN at ${s.where} unless the shared PostgreSQL is that Supabase database`);
    }
  }
  if (problems.length === 0) return null;
  return before(
    'env.postgres-vars',
    'No other PostgreSQL variable contradicts the DSN',
    'warn',
    problems.join('; '),
    fixes.join('; '),
  );
}
