import { TargetError, type ErrorCode } from '../errors.js';
import { connectionLost } from './connect.js';

/**
 * Errors the server raises for reasons of its own rather than of the rows:
 * by SQLSTATE (PostgreSQL, Appendix A). Each is the operator's to fix, not a
 * bug of the tool; what a run committed stays, and the same command resumes.
 */
const FAULTS: readonly { readonly sqlstate: RegExp; readonly code: ErrorCode; readonly what: string }[] = [
  { sqlstate: /^42501$/, code: 'TARGET_PERMISSION_DENIED', what: 'the role lacks a privilege the command needs' },
  { sqlstate: /^25006$/, code: 'TARGET_READ_ONLY', what: 'the target takes no writes' },
  {
    // Class 23, and an exception a trigger of the table raised (RAISE EXCEPTION).
    sqlstate: /^(23\w{3}|P0001)$/,
    code: 'TARGET_CONSTRAINT',
    what: 'the target refused a row by a constraint or a trigger it declares',
  },
  {
    // Class 54: an index entry too large, too many columns or arguments.
    sqlstate: /^54\w{3}$/,
    code: 'TARGET_LIMIT_EXCEEDED',
    what: 'a row or a statement passed a limit of PostgreSQL',
  },
  {
    // nextval past the sequence's maximum: a re-assigned id with none left (src/pipeline/migrate/load-table.ts).
    sqlstate: /^2200H$/,
    code: 'TARGET_IDS_EXHAUSTED',
    what: 'the sequence that gives rows new ids has none left',
  },
  {
    sqlstate: /^53\w{3}$/,
    code: 'TARGET_OUT_OF_RESOURCES',
    what: 'the server ran out of a resource (disk, memory or a configured limit)',
  },
  {
    // A deadlock, or a serialization failure at REPEATABLE READ or SERIALIZABLE; the load sends a batch again first (applyBatch).
    sqlstate: /^(40001|40P01)$/,
    code: 'TARGET_TRANSACTION_CONFLICT',
    what: 'the server aborted a transaction to settle a conflict with another session (a load retries its batch first)',
  },
  {
    sqlstate: /^(57014|55P03)$/,
    code: 'TARGET_STATEMENT_CANCELED',
    what: 'the server cancelled a statement (an administrator, or a lock the statement waited for longer than lock_timeout)',
  },
];

/**
 * A server-side fault (a lost connection, a missing privilege, a full disk,
 * a cancelled statement) as the coded error it is, with the server's own
 * words; null for any other error.
 */
export function serverFault(err: unknown): TargetError | null {
  const lost = connectionLost(err);
  if (lost !== null) return lost;
  if (err instanceof TargetError) return null;
  const e = err as { code?: unknown; message?: unknown } | null;
  const sqlstate = typeof e?.code === 'string' ? e.code : '';
  const fault = FAULTS.find((f) => f.sqlstate.test(sqlstate));
  if (fault === undefined) return null;
  const said = typeof e?.message === 'string' ? e.message : String(err);
  return new TargetError(fault.code, `${fault.what}: ${said} (SQLSTATE ${sqlstate})`, { cause: err });
}
