import * as m001 from './001-initial.js';
import * as m002 from './002-rollback-and-archive.js';
import * as m003 from './003-file-identity.js';
import * as m004 from './004-schema-changes-and-run-errors.js';
import * as m005 from './005-load-digests.js';

/**
 * One step of the ledger's schema. A ledger at version N has had migrations
 * 1..N applied, each in its own transaction (src/ledger/schema.ts). A new step
 * is a new file with the next number, added to the list below; a released file
 * is never edited, since ledgers in the field already ran it.
 */
export interface LedgerMigration {
  readonly version: number;
  /** One line: what the step adds. */
  readonly description: string;
  /** Idempotent DDL on schema aragora_migrate. */
  readonly sql: string;
}

/** Oldest first; versions 1, 2, 3, … with no gap. */
export const LEDGER_MIGRATIONS: readonly LedgerMigration[] = [m001, m002, m003, m004, m005];
