import type { CheckItem } from '../../report/check-report.js';
import { judgeDependencies, judgeHealthz, judgeReadyz, type Verdict } from './after-health-rules.js';
import { jsonAnswer } from './http-answer.js';
import { httpGet } from './http-probe.js';
import type { HttpClient, HttpTarget } from './http-target.js';
import { displayUrl, endpointUrl } from './http-url.js';

interface Probe {
  readonly id: string;
  readonly path: string;
  readonly title: string;
  /** Statuses whose JSON is judged: the readiness probes answer 503 with the reasons they are not ready. */
  readonly judged: readonly number[];
  readonly judge: (status: number, json: unknown) => Verdict;
}

/** The probes of issue 16's checklist, in the order an operator reads them. */
export const HEALTH_PROBES: readonly Probe[] = [
  {
    id: 'http.healthz',
    path: '/healthz',
    title: 'GET /healthz answers {"status":"ok"}',
    judged: [200, 503],
    judge: judgeHealthz,
  },
  {
    id: 'http.readyz',
    path: '/readyz',
    title: 'GET /readyz is ready, with db_pool and redis_pool true',
    judged: [200, 503],
    judge: judgeReadyz,
  },
  {
    id: 'http.readyz-dependencies',
    path: '/readyz/dependencies',
    title: 'GET /readyz/dependencies is ready, with Redis connected',
    judged: [200, 503],
    judge: judgeDependencies,
  },
];

/**
 * Each probe on each target, all at once: a target that hangs costs one
 * timeout, not one per request. Items come back target by target, probe by
 * probe, whatever order the answers arrive in.
 */
export async function endpointChecks(targets: readonly HttpTarget[], client: HttpClient): Promise<CheckItem[]> {
  const jobs = targets.flatMap((t) => HEALTH_PROBES.map((p) => probeItem(t, p, client)));
  return Promise.all(jobs);
}

async function probeItem(target: HttpTarget, probe: Probe, client: HttpClient): Promise<CheckItem> {
  const url = endpointUrl(target.url, probe.path);
  const answer = jsonAnswer(await httpGet(url, client), {
    shown: displayUrl(url),
    caFileGiven: client.caFileGiven,
    judged: probe.judged,
  });
  const verdict: Verdict = answer.ok
    ? probe.judge(answer.status, answer.json)
    : { pass: false, detail: answer.detail, fix: answer.fix };
  return {
    id: probe.id,
    phase: 'after',
    title: probe.title,
    subject: target.shown,
    status: verdict.pass ? 'pass' : 'fail',
    detail: `${target.role}: ${verdict.detail}`,
    fix: verdict.pass ? null : verdict.fix,
  };
}
