/**
 * ESLint rule `aragora/layers`: keeps the one-way dependencies of src/ described in ARCHITECTURE.md.
 *
 * The layer of a file is its top-level entry under src/ (a folder, or errors.ts, version.ts, index.ts).
 * A relative import or export-from (`import type` and `import()` included) may reach
 *   - a file in the same top-level entry, or
 *   - a strictly lower layer (so src/source and src/target, both 4, never import each other),
 * and src/cli may reach only src/index.ts and src/cli itself: the CLI uses the public API like any user.
 * Bare specifiers (packages, node:) are not this rule's concern.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/** Rank per top-level entry of src/; keep in step with ARCHITECTURE.md. */
export const LAYERS = Object.freeze({
  util: 0,
  'errors.ts': 0,
  'version.ts': 0,
  'defaults.ts': 0,
  mapping: 1,
  findings: 1,
  tables: 2,
  config: 3,
  source: 4,
  target: 4,
  ledger: 5,
  report: 6,
  pipeline: 7,
  'index.ts': 8,
  cli: 9,
});

/**
 * The top-level entry of src/ that `file` belongs to (`'target'`, `'errors.ts'`), or null outside src/.
 * A `.js` suffix counts as the `.ts` file it is compiled from, as in the imports themselves.
 */
export function layerOf(file, srcRoot) {
  const rel = relative(srcRoot, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  const [top] = rel.split(sep);
  return rel.includes(sep) ? top : top.replace(/\.js$/, '.ts');
}

/** How src/<entry> is named in messages: `src/target`, `src/index.ts`. */
const label = (entry) => `src/${entry}`;

/**
 * Why `from` may not import `to` (both top-level entries of src/), as a message id, or null when it may.
 * Unknown entries are reported so that a new folder gets a layer before it gets importers.
 */
export function violation(from, to) {
  if (from === to) return null;
  if (!Object.hasOwn(LAYERS, from)) return 'unknownImporter';
  if (!Object.hasOwn(LAYERS, to)) return 'unknownTarget';
  if (from === 'cli') return to === 'index.ts' ? null : 'cliOnlyIndex';
  if (LAYERS[to] < LAYERS[from]) return null;
  return LAYERS[to] === LAYERS[from] ? 'sameLayer' : 'higherLayer';
}

const SEE = 'see ARCHITECTURE.md';

/** @type {import('eslint').Rule.RuleModule} */
export const rule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Files under src/ import only lower layers (ARCHITECTURE.md); src/cli imports only src/index.ts',
    },
    schema: [
      {
        type: 'object',
        properties: {
          srcDir: { type: 'string', description: 'the source root, relative to the working directory (default "src")' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      higherLayer: `{{from}} may not import {{to}}: lower layers never import higher ones; ${SEE}`,
      sameLayer: `{{from}} may not import {{to}}: they are on the same layer ({{rank}}), and only a lower layer may be imported; ${SEE}`,
      cliOnlyIndex: `{{from}} may not import {{to}}: the CLI imports only the public API in src/index.ts; ${SEE}`,
      unknownImporter: '{{from}} has no layer: add it to LAYERS in eslint/layers.js and to ARCHITECTURE.md',
      unknownTarget: '{{to}} has no layer: add it to LAYERS in eslint/layers.js and to ARCHITECTURE.md',
    },
  },
  create(context) {
    const srcRoot = resolve(context.cwd, context.options[0]?.srcDir ?? 'src');
    const filename = context.filename;
    const from = layerOf(filename, srcRoot);
    if (from === null) return {};

    /** `source` is the string literal node of the specifier (absent or non-literal: nothing to check). */
    function check(source) {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const specifier = source.value;
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) return;
      const to = layerOf(resolve(dirname(filename), specifier), srcRoot);
      if (to === null) return;
      const messageId = violation(from, to);
      if (messageId === null) return;
      context.report({
        node: source,
        messageId,
        data: { from: label(from), to: label(to), rank: String(LAYERS[from]) },
      });
    }

    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      // `import('../x.js').T` in a type position (typescript-eslint AST).
      TSImportType: (node) => check(node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument),
    };
  },
};

export default rule;
