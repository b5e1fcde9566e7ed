import type { CheckItem, CheckStatus } from '../../report/check-report.js';
import { envVar, names, shown, type InstanceEnv } from './env-instances.js';
import { before, worst } from './items.js';

/**
 * The settings Aragora's shared-state guide puts on every instance, each
 * checked across all instances: one item per variable, naming each instance
 * that differs.
 */
interface Expected {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  /** Spellings that likely mean the same but are not the guide's: a warning, not a failure. */
  readonly near: readonly string[];
  readonly nearWhy: string;
}

const BOOLEAN_NEAR = "not the guide's spelling; whether it is read as such depends on the code that reads it";

const EXPECTED: readonly Expected[] = [
  {
    id: 'env.db-backend',
    name: 'ARAGORA_DB_BACKEND',
    value: 'postgresql',
    near: ['postgres'],
    nearWhy: "Aragora's storage factory accepts postgres, but its settings-based pool requires postgresql",
  },
  {
    id: 'env.require-distributed',
    name: 'ARAGORA_REQUIRE_DISTRIBUTED',
    value: 'true',
    near: ['1', 'yes', 'on'],
    nearWhy: BOOLEAN_NEAR,
  },
  {
    id: 'env.multi-instance',
    name: 'ARAGORA_MULTI_INSTANCE',
    value: 'true',
    near: ['1', 'yes', 'on'],
    nearWhy: BOOLEAN_NEAR,
  },
  {
    id: 'env.single-instance',
    name: 'ARAGORA_SINGLE_INSTANCE',
    value: 'false',
    near: ['0', 'no', 'off'],
    nearWhy: BOOLEAN_NEAR,
  },
  { id: 'env.production', name: 'ARAGORA_ENV', value: 'production', near: [], nearWhy: '' },
];

function flagItem(e: Expected, instances: readonly InstanceEnv[]): CheckItem {
  const title = `${e.name}=${e.value} on every instance`;
  const statuses: CheckStatus[] = [];
  const ok: string[] = [];
  const wrong: string[] = [];
  const wrongAt: string[] = [];
  const notes: string[] = [];
  for (const inst of instances) {
    const v = envVar(inst, e.name);
    const value = v?.value.trim().toLowerCase();
    if (v === undefined) {
      statuses.push('fail');
      wrong.push(`${inst.name}: not set`);
      wrongAt.push(inst.name);
    } else if (value === e.value) {
      ok.push(v.where);
    } else if (value !== undefined && e.near.includes(value)) {
      statuses.push('warn');
      notes.push(`${v.where}: ${shown(v.value)} (${e.nearWhy})`);
      wrongAt.push(v.where);
    } else {
      statuses.push('fail');
      wrong.push(`${v.where}: ${shown(v.value)}`);
      wrongAt.push(v.where);
    }
  }
  const status = worst(statuses);
  const detail = [...wrong, ...notes, ...(ok.length > 0 ? [`set in ${ok.join(', ')}`] : [])].join('; ');
  return before(e.id, title, status, detail, `set ${e.name}=${e.value} in ${names(wrongAt)}, then restart the service`);
}

export function flagItems(instances: readonly InstanceEnv[]): CheckItem[] {
  return EXPECTED.map((e) => flagItem(e, instances));
}
