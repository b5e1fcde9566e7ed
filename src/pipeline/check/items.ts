import type { CheckItem, CheckPhase, CheckStatus } from '../../report/check-report.js';

/** A fix as the hints of src/errors.ts read: a sentence, capital first, full stop last. */
export function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** An item of the checklist; `fix` is null on pass whatever is given, so no passing item carries a fix. */
export function checkItem(
  phase: CheckPhase,
  id: string,
  title: string,
  status: CheckStatus,
  detail: string,
  fix: string | null = null,
  subject: string | null = null,
): CheckItem {
  return { id, phase, title, subject, status, detail, fix: status === 'pass' || fix === null ? null : sentence(fix) };
}

/** A before-the-switch item. */
export function before(
  id: string,
  title: string,
  status: CheckStatus,
  detail: string,
  fix: string | null = null,
  subject: string | null = null,
): CheckItem {
  return checkItem('before', id, title, status, detail, fix, subject);
}

const RANK: Readonly<Record<CheckStatus, number>> = { pass: 0, skip: 1, warn: 2, fail: 3 };

/** The worst of several outcomes: fail over warn over skip over pass. */
export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), 'pass');
}
