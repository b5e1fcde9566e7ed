import type { Finding, FindingAction, FindingKind } from './finding.js';

const MAX_EXAMPLES = 5;

interface Entry {
  file: string | null;
  table: string | null;
  column: string | null;
  kind: FindingKind;
  action: FindingAction;
  count: number;
  exampleKeys: string[];
  message: string;
  code?: string;
}

/** Folds per-row issues into one finding per (file, table, column, kind, action), with up to 5 example keys. */
export class FindingCollector {
  readonly #entries = new Map<string, Entry>();

  add(f: {
    file: string | null;
    table: string | null;
    column: string | null;
    kind: FindingKind;
    action: FindingAction;
    message: string;
    key?: string | null;
    keys?: readonly string[];
    count?: number;
    code?: string;
  }): void {
    const id = JSON.stringify([f.file, f.table, f.column, f.kind, f.action]);
    let e = this.#entries.get(id);
    if (e === undefined) {
      e = {
        file: f.file,
        table: f.table,
        column: f.column,
        kind: f.kind,
        action: f.action,
        count: 0,
        exampleKeys: [],
        message: f.message,
        ...(f.code !== undefined ? { code: f.code } : {}),
      };
      this.#entries.set(id, e);
    }
    e.count += f.count ?? 1;
    for (const key of f.keys ?? (f.key === undefined || f.key === null ? [] : [f.key])) {
      if (e.exampleKeys.length < MAX_EXAMPLES && !e.exampleKeys.includes(key)) e.exampleKeys.push(key);
    }
  }

  toArray(): Finding[] {
    return [...this.#entries.values()].map((e) => ({ ...e, exampleKeys: [...e.exampleKeys] }));
  }
}
