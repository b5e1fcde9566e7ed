import type { ArchiveRow } from '../../ledger/archives.js';
import { loadUnfinished, type RunListing } from '../../ledger/runs.js';
import type { VerificationRow } from '../../ledger/verifications.js';
import type { CheckItem } from '../../report/check-report.js';
import { DEFAULTS } from '../../defaults.js';
import { bodyExcerpt } from './http-excerpt.js';
import { shellWord } from '../../util/shell-word.js';

/** What the ledger says, as after-ledger.ts reads it: every run, newest first, with its verifications, archives and files. */
export interface LedgerFacts {
  readonly runs: readonly RunListing[];
  readonly verifications: readonly VerificationRow[];
  readonly archives: readonly (ArchiveRow & { readonly runId: string })[];
  /** The .db paths each run read (aragora_migrate.run_files), by run id. */
  readonly files: ReadonlyMap<string, readonly string[]>;
  /** A migrate or rollback holds the run lock now (src/target/lock.ts): a run in state running is live, not stopped. */
  readonly lockHeld: boolean;
}

/** The item's id and title, also used when the database cannot be read (src/pipeline/check/after-switch.ts). */
export const LEDGER_ITEM = {
  id: 'ledger.runs-finished',
  title: 'Every migrated run is verified, and archived or kept',
} as const;

/** How one run stands: done, or what is missing and the command that does it. */
type RunVerdict =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly detail: string; readonly fix: string };

/**
 * One item per instance the ledger knows: each of its latest runs (per data
 * dir and schema, as migrate resolves them, src/ledger/runs.ts
 * `latestRunPerInstance`) must be verified, as archive requires
 * (src/pipeline/archive/archive.ts `refuseUnverified`: state verified and the
 * latest verification clean), and its files archived (every file the run
 * read has an archives row not restored since) or the instance kept on
 * purpose. A rolled-back run left nothing in the target and is passed over.
 */
export function judgeLedger(facts: LedgerFacts, kept: readonly string[], database: string): CheckItem[] {
  const latest = new Map<string, RunListing>();
  for (const r of facts.runs) {
    const key = JSON.stringify([r.instance, r.data_dir, r.target_schema]);
    if (!latest.has(key)) latest.set(key, r);
  }
  const byInstance = new Map<string, RunListing[]>();
  for (const r of latest.values()) {
    if (r.state === 'rolled-back') continue;
    byInstance.set(r.instance, [...(byInstance.get(r.instance) ?? []), r]);
  }
  if (byInstance.size === 0) return [nothingMigrated(database, facts.runs.length > 0)];
  return [...byInstance]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([instance, runs]) => {
      const verdicts = runs.map((r) => judgeRun(r, facts, kept.includes(instance)));
      const failed = verdicts.filter((v) => !v.ok);
      return {
        ...LEDGER_ITEM,
        phase: 'after',
        subject: `instance ${instance}`,
        status: failed.length === 0 ? 'pass' : 'fail',
        detail: verdicts.map((v) => v.detail).join('; '),
        fix: failed.length === 0 ? null : failed.map((v) => (v.ok ? '' : v.fix)).join(' '),
      };
    });
}

/** The item when no run (not rolled back) is in the ledger. */
export function nothingMigrated(database: string, allRolledBack = false): CheckItem {
  return {
    ...LEDGER_ITEM,
    phase: 'after',
    subject: null,
    status: 'fail',
    detail: allRolledBack
      ? `every run into ${database} was rolled back: nothing migrated remains`
      : `no runs yet: nothing was migrated into ${database}`,
    fix: 'Migrate each instance’s data dir before the switch: aragora-migrate migrate --data-dir <dir> --instance <name> (then archive it, or pass --keep-files <name>).',
  };
}

function judgeRun(r: RunListing, facts: LedgerFacts, kept: boolean): RunVerdict {
  const what = `run ${r.run_id} (${r.data_dir}${r.target_schema === DEFAULTS.schema ? '' : `, schema ${r.target_schema}`})`;
  const dir = shellWord(r.data_dir);
  if (r.state === 'rolling-back')
    return {
      ok: false,
      detail: `${what} is half rolled back`,
      fix: `Finish the rollback: aragora-migrate rollback --run ${r.run_id}.`,
    };
  if (r.state === 'running' && facts.lockHeld)
    return {
      ok: false,
      detail: `${what} is loading right now`,
      fix: 'Wait for the migration to finish (aragora-migrate status shows it), then check again.',
    };
  if (loadUnfinished(r.state))
    return {
      ok: false,
      detail: `${what} is ${r.state === 'running' ? 'interrupted' : r.state}: its load did not finish${r.error === null ? '' : ` (${bodyExcerpt(r.error)})`}`,
      fix: `Finish it: aragora-migrate migrate --data-dir ${dir} --instance ${shellWord(r.instance)}${r.target_schema === DEFAULTS.schema ? '' : ` --schema ${shellWord(r.target_schema)}`} resumes it.`,
    };
  const checks = facts.verifications.filter((v) => v.runId === r.run_id);
  const last = checks.at(-1);
  if (r.state !== 'verified' || last?.ok === false)
    return {
      ok: false,
      detail: `${what} is not verified${last === undefined ? '' : ` (its latest verification, ${last.verifiedAt.toISOString()}, found differences)`}`,
      fix: `Verify it: aragora-migrate verify --run ${r.run_id} --data-dir ${dir} (exit 0 marks it verified).`,
    };
  const files = facts.files.get(r.run_id) ?? [];
  const live = facts.archives.filter((a) => a.runId === r.run_id && a.restoredAt === null);
  const archived = files.filter((f) => live.some((a) => a.path === f));
  if (files.length > 0 && archived.length === files.length)
    return { ok: true, detail: `${what} verified, archived in ${live[0]?.backupDir ?? '?'}` };
  if (kept) return { ok: true, detail: `${what} verified, its files kept on purpose (--keep-files)` };
  const where =
    archived.length > 0
      ? `only ${archived.length} of its ${files.length} files are archived (in ${live[0]?.backupDir ?? '?'})`
      : facts.archives.some((a) => a.runId === r.run_id)
        ? `its files were restored to ${r.data_dir}`
        : `its files are still in ${r.data_dir}`;
  const backupDir = live[0]?.backupDir;
  return {
    ok: false,
    detail: `${what} verified, but ${where}`,
    fix: `Archive them: aragora-migrate archive --run ${r.run_id} --backup-dir ${backupDir === undefined ? '<dir>' : shellWord(backupDir)}; or, to keep them where they are on purpose, pass --keep-files ${shellWord(r.instance)}.`,
  };
}
