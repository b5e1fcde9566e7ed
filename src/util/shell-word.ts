/**
 * A word as a POSIX shell reads it: as is when it is plain, else
 * single-quoted. For the commands the tool prints for an operator to paste
 * (plan's runbook, check's fixes, migrate's next step).
 */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
