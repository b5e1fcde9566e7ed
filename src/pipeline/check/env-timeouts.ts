import type { CheckItem } from '../../report/check-report.js';
import { decimalNumber, envVar, shown, type InstanceEnv } from './env-instances.js';
import { before } from './items.js';

/** The pool's timing settings Aragora reads (seconds); reported as set, not judged. */
const TIMING = [
  'ARAGORA_DB_COMMAND_TIMEOUT',
  'ARAGORA_DB_STATEMENT_TIMEOUT',
  'ARAGORA_DB_POOL_TIMEOUT',
  'ARAGORA_DB_POOL_RECYCLE',
] as const;

/** What each instance sets of TIMING; a value that is not a number is a warning naming its line. */
export function timeoutsItem(instances: readonly InstanceEnv[]): CheckItem {
  const title = 'Command, statement and pool timeouts';
  const set: string[] = [];
  const bad: string[] = [];
  for (const inst of instances)
    for (const name of TIMING) {
      const v = envVar(inst, name);
      if (v === undefined) continue;
      if (decimalNumber(v.value) === null || v.unresolved) bad.push(`${name}=${shown(v.value)} at ${v.where}`);
      else set.push(`${name}=${v.value.trim()} (${v.where})`);
    }
  if (bad.length > 0)
    return before(
      'env.timeouts',
      title,
      'warn',
      `not a number of seconds: ${bad.join('; ')}${set.length > 0 ? `; set: ${set.join(', ')}` : ''}`,
      'write a number of seconds there (e.g. 60), or remove the line for the default',
    );
  return before(
    'env.timeouts',
    title,
    'pass',
    set.length > 0 ? set.join(', ') : `none of ${TIMING.join(', ')} is set: Aragora's defaults apply`,
  );
}
