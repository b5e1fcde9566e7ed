import type { CheckItem } from '../../report/check-report.js';
import { bodyExcerpt } from './http-excerpt.js';
import { jsonAnswer } from './http-answer.js';
import { httpGet } from './http-probe.js';
import type { HttpClient, HttpTarget } from './http-target.js';
import { displayUrl, endpointUrl } from './http-url.js';

const ID = 'http.same-latest-debate';
const TITLE = 'Every instance lists the same latest debate (GET /api/v1/debates?limit=1)';
const PATH = '/api/v1/debates?limit=1';

/** What one target said its latest debate is. */
export type LatestDebate =
  | { readonly target: HttpTarget; readonly ok: true; readonly id: string | null }
  | { readonly target: HttpTarget; readonly ok: false; readonly detail: string; readonly fix: string };

/**
 * Asks each instance (and the load balancer) for its newest debate and
 * compares the ids: instances that share one database list the same one.
 * With fewer than two instance URLs there is nothing to compare.
 */
export async function debatesCheck(
  loadBalancer: HttpTarget | null,
  instances: readonly HttpTarget[],
  client: HttpClient,
): Promise<CheckItem> {
  if (instances.length < 2)
    return item(
      'skip',
      `${instances.length} instance URL(s) given: the latest debates of two instances cannot be compared`,
      'Pass --instance-url for each instance (its own address, not the load balancer’s).',
    );
  const targets = loadBalancer === null ? instances : [...instances, loadBalancer];
  return compareLatestDebates(await Promise.all(targets.map((t) => latestDebate(t, client))));
}

async function latestDebate(target: HttpTarget, client: HttpClient): Promise<LatestDebate> {
  const url = endpointUrl(target.url, PATH);
  const answer = jsonAnswer(await httpGet(url, client), {
    shown: displayUrl(url),
    caFileGiven: client.caFileGiven,
    judged: [200],
  });
  if (!answer.ok) return { target, ok: false, detail: answer.detail, fix: answer.fix };
  const id = firstDebateId(answer.json);
  if (id === undefined)
    return {
      target,
      ok: false,
      detail: `HTTP 200, but no "debates" list: ${bodyExcerpt(JSON.stringify(answer.json))}`,
      fix: 'The answer is not Aragora’s debate list: check that the URL is Aragora’s HTTP API.',
    };
  return { target, ok: true, id };
}

/**
 * The id of the first debate in Aragora's list answer, null for an empty
 * list, undefined when the answer is no list. The shape is Aragora's
 * aragora/server/handlers/debates/crud.py `_list_debates` (line 131:
 * `{"debates": [...], "count": n}`, newest first), each debate given both
 * `id` and `debate_id` by `normalize_debate_response`
 * (aragora/server/handlers/debates/response_formatting.py, lines 81-85).
 */
export function firstDebateId(json: unknown): string | null | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const debates = (json as { debates?: unknown }).debates;
  if (!Array.isArray(debates)) return undefined;
  const first: unknown = debates[0];
  if (first === undefined) return null;
  if (typeof first !== 'object' || first === null) return undefined;
  const { id, debate_id } = first as { id?: unknown; debate_id?: unknown };
  const v = id ?? debate_id;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** One item from every target's answer: fail when one could not answer or the ids differ, naming who differs. */
export function compareLatestDebates(answers: readonly LatestDebate[]): CheckItem {
  const failed = answers.filter((a) => !a.ok);
  if (failed.length > 0)
    return item(
      'fail',
      failed.map((a) => `${name(a.target)}: ${a.detail}`).join('; '),
      [...new Set(failed.map((a) => (a.ok ? '' : a.fix)))].join(' '),
    );
  const ids = answers.map((a) => (a.ok ? a.id : null));
  const listed = answers.map((a) => `${name(a.target)} ${a.ok && a.id !== null ? a.id : '(no debates)'}`).join(', ');
  if (ids.every((id) => id === null))
    return item(
      'warn',
      `no instance lists any debate: nothing to compare (${listed})`,
      'Check that the migrated debates are in the shared database (aragora-migrate status), or run a debate and check again.',
    );
  if (new Set(ids).size === 1) return item('pass', `every one lists ${ids[0] ?? ''} first (${listed})`, null);
  return item(
    'fail',
    `the latest debates differ: ${differing(answers)} (${listed})`,
    'Each instance must read the same PostgreSQL: compare DATABASE_URL/ARAGORA_POSTGRES_DSN and ARAGORA_DB_BACKEND=postgresql in their environment files and restart the odd one. Aragora caches this list for 30 s, so after a new debate check again a minute later before acting.',
  );
}

/** Who disagrees with what most instances list; with no majority (two instances, two ids), every instance. */
function differing(answers: readonly LatestDebate[]): string {
  const counts = new Map<string | null, number>();
  for (const a of answers) if (a.ok && a.target.role === 'instance') counts.set(a.id, (counts.get(a.id) ?? 0) + 1);
  const [first, second] = [...counts].sort((x, y) => y[1] - x[1]);
  if (first === undefined || (second !== undefined && second[1] === first[1])) return 'the instances do not agree';
  const majority = first[0];
  const odd = answers.filter((a) => a.ok && a.id !== majority).map((a) => name(a.target));
  return `${odd.join(', ')} ${odd.length === 1 ? 'differs' : 'differ'} from the others (${majority ?? 'no debates'})`;
}

function name(t: HttpTarget): string {
  return `${t.role} ${t.shown}`;
}

function item(status: CheckItem['status'], detail: string, fix: string | null): CheckItem {
  return { id: ID, phase: 'after', title: TITLE, subject: null, status, detail, fix };
}
