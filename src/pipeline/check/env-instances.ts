import { readEnvFile } from '../../config/load-config.js';
import type { EnvFile } from '../../config/env-file.js';

/**
 * One Aragora instance as its env files configure it. Unlike the other
 * commands, where every --env-file merges into one configuration, check reads
 * one instance per --env-file; `--drop-in` adds a file to the instance before
 * it (src/cli/commands/check.ts). Within an instance the drop-ins'
 * Environment= come first, in the order of their file names (systemd reads a
 * unit's drop-ins sorted by name), and the KEY=VALUE files override them, as
 * systemd's values from EnvironmentFile= override those set with
 * Environment=. Among KEY=VALUE files, later files win.
 */
export interface EnvVar {
  readonly value: string;
  /** `file:line` of the assignment the service sees. */
  readonly where: string;
  /** Holds a systemd specifier (`%h`, `%i`) only systemd can expand (src/config/env-file.ts). */
  readonly unresolved: boolean;
}

export interface InstanceEnv {
  /** The instance as the checklist names it: its files, joined by ` + `. */
  readonly name: string;
  readonly vars: ReadonlyMap<string, EnvVar>;
}

export function instanceFromFiles(files: readonly EnvFile[]): InstanceEnv {
  const vars = new Map<string, EnvVar>();
  const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  const dropIns = files.filter((f) => f.format === 'systemd').sort((a, b) => (base(a.path) < base(b.path) ? -1 : 1));
  const ordered = [...dropIns, ...files.filter((f) => f.format === 'env')];
  for (const f of ordered)
    for (const [name, a] of f.vars)
      vars.set(name, { value: a.value, where: `${f.path}:${a.line}`, unresolved: a.unresolved });
  return { name: files.map((f) => f.path).join(' + '), vars };
}

/** Reads an instance's files (a file that cannot be read or parsed stops check with CONFIG_ENV_FILE, as every command does). */
export function readInstance(paths: readonly string[]): InstanceEnv {
  return instanceFromFiles(paths.map(readEnvFile));
}

/** A variable as the service sees it; empty counts as unset, as everywhere in this tool (src/config/load-config.ts). */
export function envVar(inst: InstanceEnv, name: string): EnvVar | undefined {
  const v = inst.vars.get(name);
  return v === undefined || v.value.trim() === '' ? undefined : v;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

/** ARAGORA_USE_SECRETS_MANAGER is on: the URLs may live in AWS Secrets Manager instead of the file. */
export function usesSecretsManager(inst: InstanceEnv): boolean {
  return TRUE.has(envVar(inst, 'ARAGORA_USE_SECRETS_MANAGER')?.value.trim().toLowerCase() ?? '');
}

/** A value safe to show (never a URL or a secret: the flags and numbers check reads), quoted and cut to 40 characters. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value);
}

/** Whole numbers as Python's int() reads the pool settings: digits, blanks around them allowed. */
export function wholeNumber(value: string): number | null {
  const t = value.trim();
  return /^\+?\d+$/.test(t) ? Number(t) : null;
}

/** A number of seconds as Python's float() reads the timeout settings. */
export function decimalNumber(value: string): number | null {
  const t = value.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : null;
}

/** Instance names as a list for a sentence: `a.env`, `a.env and b.env`, `a.env, b.env and c.env`. */
export function names(list: readonly string[]): string {
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} and ${list.at(-1) ?? ''}`;
}
