import type { CheckItem, CheckStatus } from '../../report/check-report.js';
import { envVar, names, usesSecretsManager, type InstanceEnv } from './env-instances.js';
import { before, worst } from './items.js';

/**
 * "Every instance names the same server": the comparison PostgreSQL and Redis
 * share. Instances are compared by a target without its secret (host, port,
 * database, user); passwords are compared too, but only ever said to differ.
 */
export type TargetSource =
  | {
      readonly instance: string;
      readonly state: 'set';
      readonly variable: string;
      readonly where: string;
      readonly target: string;
      readonly password: string | null;
    }
  | { readonly instance: string; readonly state: 'invalid'; readonly where: string; readonly error: string }
  | { readonly instance: string; readonly state: 'unresolved'; readonly where: string }
  | { readonly instance: string; readonly state: 'secrets-manager' | 'missing' };

/** What one instance's files say about a server, and one thing its URL asks for (sslmode, TLS). */
export interface InstanceTarget<T> {
  readonly source: TargetSource;
  /** The URL text, when the files set one that parses. */
  readonly raw: string | null;
  readonly asked: T | null;
}

export interface ParsedTarget<T> {
  readonly target: string;
  readonly password: string | null;
  readonly asked: T;
}

/**
 * Reads an instance's URL for a server the way Aragora does: the first of
 * `variables` that is set. `parse` throws on a URL that does not parse;
 * `parseError` turns what it threw into the words a report may show (never
 * the URL), or null for anything else.
 */
export function instanceTarget<T>(
  inst: InstanceEnv,
  variables: readonly [string, string],
  parse: (value: string) => ParsedTarget<T>,
  parseError: (err: unknown) => string | null,
): InstanceTarget<T> {
  const variable = envVar(inst, variables[0]) !== undefined ? variables[0] : variables[1];
  const v = envVar(inst, variable);
  const instance = inst.name;
  if (v === undefined)
    return {
      source: { instance, state: usesSecretsManager(inst) ? 'secrets-manager' : 'missing' },
      raw: null,
      asked: null,
    };
  if (v.unresolved) return { source: { instance, state: 'unresolved', where: v.where }, raw: null, asked: null };
  try {
    const t = parse(v.value);
    return {
      source: { instance, state: 'set', variable, where: v.where, target: t.target, password: t.password },
      raw: v.value,
      asked: t.asked,
    };
  } catch (err: unknown) {
    const error = parseError(err) ?? 'does not parse';
    return { source: { instance, state: 'invalid', where: v.where, error }, raw: null, asked: null };
  }
}

export interface SameTargetSpec {
  readonly id: string;
  readonly title: string;
  /** `PostgreSQL`, `Redis`. */
  readonly server: string;
  /** The variables that name it, in the order the app reads them: `ARAGORA_POSTGRES_DSN (else DATABASE_URL)`. */
  readonly variables: string;
  /** The variable a fix tells to set. */
  readonly variable: string;
  /** The flag that stands in for a URL kept in Secrets Manager. */
  readonly flag: string;
}

type SetSource = Extract<TargetSource, { state: 'set' }>;

export function sameTargetItem(spec: SameTargetSpec, sources: readonly TargetSource[]): CheckItem {
  const set = sources.filter((s): s is SetSource => s.state === 'set');
  const statuses: CheckStatus[] = [];
  const details: string[] = [];
  const fixes: string[] = [];
  for (const s of sources) {
    if (s.state === 'missing') {
      statuses.push('fail');
      details.push(`${s.instance} sets neither of ${spec.variables}`);
      fixes.push(
        `set ${spec.variable} in ${s.instance} (or ARAGORA_USE_SECRETS_MANAGER=true when it comes from AWS Secrets Manager)`,
      );
    } else if (s.state === 'invalid') {
      statuses.push('fail');
      details.push(`${s.where}: the URL ${s.error}`);
      fixes.push(`correct the URL at ${s.where}`);
    } else if (s.state === 'unresolved') {
      statuses.push('warn');
      details.push(`${s.where} holds a systemd specifier (%…) only systemd expands: not compared`);
      fixes.push(`compare ${s.where} by hand, or write its value out (%% for a literal %)`);
    }
  }
  const kept = sources.filter((s) => s.state === 'secrets-manager').map((s) => s.instance);
  if (kept.length > 0) {
    details.push(`${names(kept)} take${kept.length === 1 ? 's' : ''} it from AWS Secrets Manager: not compared`);
    if (set.length === 0 && statuses.length === 0)
      return before(
        spec.id,
        spec.title,
        'skip',
        details.join('; '),
        `the URL is not in the files (ARAGORA_USE_SECRETS_MANAGER=true): pass ${spec.flag} with the secret's value to check the server, and make sure every instance reads the same secret`,
      );
  }
  const groups = new Map<string, SetSource[]>();
  for (const s of set) groups.set(s.target, [...(groups.get(s.target) ?? []), s]);
  const ranked = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const said = (g: readonly SetSource[]): string => g.map((s) => `${s.variable} at ${s.where}`).join(', ');
  if (ranked.length > 1) {
    statuses.push('fail');
    details.unshift(
      `the instances name ${ranked.length} different servers: ${ranked.map(([t, g]) => `${t} from ${said(g)}`).join('; ')}`,
    );
    const [[majority, first] = ['', []], ...rest] = ranked;
    const odd = rest.flatMap(([, g]) => g.map((s) => s.instance));
    fixes.unshift(
      `point ${spec.variable} in ${names(odd)} at ${majority}, as ${names(first.map((s) => s.instance))} ${first.length === 1 ? 'does' : 'do'} (or all of them at the one server the deployment shares)`,
    );
  } else if (ranked.length === 1) {
    const [[target, group] = ['', []]] = ranked;
    details.unshift(
      sources.length === 1
        ? `${target} from ${said(group)} (only one instance given)`
        : `${target} from ${said(group)}`,
    );
    const passwords = new Set(group.map((s) => s.password ?? ''));
    if (passwords.size > 1) {
      statuses.push('warn');
      details.push(`the passwords differ between ${names(group.map((s) => s.instance))} (not shown)`);
      fixes.push(
        `give every instance the same ${spec.server} password: with one stale, that instance fails to connect`,
      );
    }
  }
  const status = worst(statuses);
  return before(spec.id, spec.title, status, details.join('; '), status === 'pass' ? null : fixes.join('; '));
}
