import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import layers, { LAYERS, layerOf } from '../../eslint/layers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(repo, 'src');

// ESLint's RuleTester looks for mocha-style globals; vitest does not install them unless configured to.
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

describe('eslint/layers.js: the layer rule', () => {
  const tester = new RuleTester({
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
  });
  // The rule resolves specifiers against the file's own path, so each case names a file under this repository's src/.
  const at = (path: string) => ({ filename: join(src, path), options: [{ srcDir: src }] as [{ srcDir: string }] });

  tester.run('aragora/layers', layers, {
    valid: [
      { code: "import { x } from './quote.js';", ...at('util/keys.ts') },
      { code: "import { MigrateError } from '../errors.js';", ...at('tables/converters.ts') },
      { code: "import type { Mapping } from '../../mapping/schema.js';", ...at('pipeline/plan/plan.ts') },
      { code: "export { withTransaction } from './target/transaction.js';", ...at('index.ts') },
      { code: "export * from '../shared/prepare-batch.js';", ...at('pipeline/migrate/x.ts') },
      { code: "import { migrate } from '../index.js';", ...at('cli/program.ts') },
      { code: "import { render } from './render/plan-text.js';", ...at('cli/commands/plan.ts') },
      { code: "import { readFile } from 'node:fs/promises'; import pg from 'pg';", ...at('target/connect.ts') },
      // Outside src/ the rule has nothing to say: tests import whatever they test.
      { code: "import { migrate } from '../../src/pipeline/migrate/migrate.js';", ...at('../test/unit/x.test.ts') },
    ],
    invalid: [
      {
        code: "import { migrate } from '../pipeline/migrate/migrate.js';",
        ...at('target/lock.ts'),
        errors: [
          {
            message:
              'src/target may not import src/pipeline: lower layers never import higher ones; see ARCHITECTURE.md',
          },
        ],
      },
      {
        code: "import type { RunRow } from '../ledger/runs.js';",
        ...at('source/read.ts'),
        errors: [{ messageId: 'higherLayer', data: { from: 'src/source', to: 'src/ledger' } }],
      },
      {
        code: "import { quoteIdent } from '../target/quote.js';",
        ...at('source/inventory.ts'),
        errors: [
          {
            message:
              'src/source may not import src/target: they are on the same layer (4), and only a lower layer may be imported; see ARCHITECTURE.md',
          },
        ],
      },
      {
        code: "export { sniff } from '../source/sniff.js';",
        ...at('target/state.ts'),
        errors: [{ messageId: 'sameLayer' }],
      },
      {
        code: "import { MigrateError } from '../errors.js';",
        ...at('cli/main.ts'),
        errors: [
          {
            message:
              'src/cli may not import src/errors.ts: the CLI imports only the public API in src/index.ts; see ARCHITECTURE.md',
          },
        ],
      },
      {
        code: "import type { PlanReport } from '../../report/plan-report.js';",
        ...at('cli/render/plan-text.ts'),
        errors: [{ messageId: 'cliOnlyIndex' }],
      },
      {
        code: "export * from './pipeline/plan/plan.js';",
        ...at('errors.ts'),
        errors: [{ messageId: 'higherLayer', data: { from: 'src/errors.ts', to: 'src/pipeline' } }],
      },
      {
        code: "const m = await import('../../index.js');",
        ...at('pipeline/workers/worker.ts'),
        errors: [{ messageId: 'higherLayer' }],
      },
      {
        code: "type T = import('../report/migrate-report.js').MigrateReport;",
        ...at('ledger/runs.ts'),
        errors: [{ messageId: 'higherLayer' }],
      },
      {
        code: "import { x } from '../brand-new/x.js';",
        ...at('tables/x.ts'),
        errors: [{ messageId: 'unknownTarget', data: { to: 'src/brand-new' } }],
      },
      {
        code: "import { x } from '../util/bytes.js';",
        ...at('brand-new/x.ts'),
        errors: [{ messageId: 'unknownImporter', data: { from: 'src/brand-new' } }],
      },
      {
        code: "import { a } from './x.js'; import { b } from '../pipeline/shared/y.js'; import { c } from '../report/z.js';",
        ...at('ledger/runs.ts'),
        errors: [{ messageId: 'higherLayer', line: 1 }, { messageId: 'higherLayer' }],
      },
    ],
  });
});

/** Every .ts file under `dir`, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// `from '…'` (import and export-from), `import('…')` and a bare `import '…'`, relative specifiers only.
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** src/ as a graph: file → the src files it imports (type-only imports included). */
function importGraph(): { graph: Map<string, string[]>; unresolved: string[] } {
  const graph = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of tsFiles(src)) {
    const deps = new Set<string>();
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[2]!).replace(/\.js$/, '.ts');
      if (existsSync(target)) deps.add(target);
      else unresolved.push(`${relative(repo, file)}: ${m[2]}`);
    }
    graph.set(file, [...deps]);
  }
  return { graph, unresolved };
}

/** One cycle per strongly connected component of more than one file (or a file importing itself), by Tarjan. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];

  function visit(v: string): void {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = new Set<string>();
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.add(w);
    } while (w !== v);
    if (component.size > 1 || graph.get(v)!.includes(v)) found.push(cycleWithin(graph, v, component));
  }

  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A concrete cycle through `start` inside its component (breadth-first, so the shortest one), start repeated at the end. */
function cycleWithin(graph: Map<string, string[]>, start: string, component: Set<string>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x: string | undefined = v; x !== undefined && x !== start; x = parent.get(x)) path.push(x);
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}

describe('the import graph of src/', () => {
  const { graph, unresolved } = importGraph();

  it('resolves every relative import to a file', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(unresolved).toEqual([]);
  });

  it('has no import cycle', () => {
    const shown = cycles(graph).map((c) => c.map((f) => relative(repo, f)).join(' -> '));
    expect(shown, `import cycles:\n${shown.join('\n')}`).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(g)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['e', 'e'],
    ]);
  });

  it('gives every top-level entry of src/ a layer', () => {
    const entries = new Set([...graph.keys()].map((f) => layerOf(f, src)!));
    expect([...entries].filter((e) => !Object.hasOwn(LAYERS, e))).toEqual([]);
  });
});
