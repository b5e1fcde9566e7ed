import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { ERROR_CODES } from '../../src/errors.js';
import { loadBuiltinMappingSet } from '../../src/mapping/load.js';
import { FINDING_ACTIONS, FINDING_KINDS } from '../../src/findings/finding.js';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Every Markdown file a user or contributor reads: the front page, docs/, and the two guides. */
const DOCS = [
  'README.md',
  'ARCHITECTURE.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks (a `#` there is a shell comment, a `[x](y)` is code). */
function prose(text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(text: string): Set<string> {
  return new Set([...prose(text).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] ?? '')));
}

/** The section of docs/commands.md under a command's heading. */
function commandSection(commands: string, name: string): string {
  const start = commands.indexOf(`## \`${name}\``);
  const end = commands.indexOf('\n## ', start + 1);
  return commands.slice(start, end < 0 ? undefined : end);
}

describe('docs/errors.md', () => {
  const errors = read('docs/errors.md');

  it('documents every error code with its exit code', () => {
    for (const [code, { exit }] of Object.entries(ERROR_CODES))
      expect(errors).toMatch(new RegExp(`\\| \`${code}\` \\| ${exit} \\|`));
  });

  it('gives every error code the hint the CLI prints under it', () => {
    for (const [code, { hint }] of Object.entries(ERROR_CODES)) {
      const row = errors.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, code).toContain(`| ${hint.replaceAll('|', '\\|')} |`);
    }
  });
});

describe('docs/commands.md', () => {
  const commands = read('docs/commands.md');

  it('documents every command and every flag', () => {
    for (const cmd of buildProgram().commands) {
      expect(commands).toContain(`## \`${cmd.name()}\``);
      for (const opt of cmd.options)
        expect(commandSection(commands, cmd.name()), `${cmd.name()} ${opt.long ?? ''}`).toContain(opt.long ?? '');
    }
  });

  it("states each flag's default as the code has it", () => {
    for (const cmd of buildProgram().commands) {
      const rows = commandSection(commands, cmd.name())
        .split('\n')
        .filter((l) => l.startsWith('| `'));
      for (const opt of cmd.options) {
        const value: unknown = opt.defaultValue;
        if (typeof value !== 'number' && typeof value !== 'string') continue;
        const row = rows.find((l) => new RegExp(`\`${opt.long ?? ''}[ \`]`).test(l));
        // A row that says "as for plan" defers to that command's row.
        if (row === undefined || row.includes('as for')) continue;
        expect(row, `${cmd.name()} ${opt.long ?? ''}`).toContain(String(value));
      }
    }
  });
});

describe('docs/json-report.md', () => {
  const report = read('docs/json-report.md');

  it('documents every finding kind and action', () => {
    for (const k of FINDING_KINDS) expect(report).toContain(`| \`${k}\` |`);
    for (const a of FINDING_ACTIONS) expect(report).toContain(`- \`${a}\`:`);
  });
});

describe('docs/conflict-policies.md', () => {
  const policies = read('docs/conflict-policies.md');

  it("states every shipped table's key, conflict policy and the mapping's reason", () => {
    for (const { table } of loadBuiltinMappingSet().bySource.values()) {
      const c = table.conflict;
      const policy = c.policy === 'newest' ? `newest:${c.column}` : c.policy;
      expect(policies, table.target).toMatch(new RegExp(`\\| \`${table.target}\` \\| [^|]+ \\| ${policy}\\b`));
      const row = policies.split('\n').find((l) => l.startsWith(`| \`${table.target}\` |`));
      expect(row, table.target).toContain(`| \`${table.target}\` | ${table.key.join(', ')} |`);
      if (c.reason !== undefined) expect(row, table.target).toContain(`| ${c.reason} |`);
    }
  });
});

describe('README.md', () => {
  const readme = read('README.md');

  it('starts with the two commands a new user runs', () => {
    const blocks = [...readme.matchAll(/```sh\n([^`]+)```/g)].map((m) => (m[1] ?? '').trim());
    expect(blocks.slice(0, 2)).toEqual(['npm ci && npm run demo', 'npm test']);
    // Both are scripts of this package: the demo (scripts/demo.ts, run in test/integration/demo.test.ts) and the tests.
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toBe('tsx scripts/demo.ts');
    expect(scripts.test).toBe('vitest run');
  });

  it('stays a front page: under 10 KB, the reference in docs/', () => {
    expect(Buffer.byteLength(readme, 'utf8')).toBeLessThan(10 * 1024);
    for (const f of DOCS.filter((d) => d.startsWith('docs/') && d !== 'docs/README.md'))
      expect(read('docs/README.md'), f).toContain(`](${relative('docs', f)})`);
  });
});

describe('links', () => {
  it('every relative link resolves, to a heading that exists when it names one', () => {
    for (const doc of DOCS) {
      const text = read(doc);
      for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] ?? '';
        if (/^[a-z]+:/.test(link)) continue;
        const [path = '', hash] = link.split('#');
        const target = path === '' ? doc : join(dirname(doc), path);
        expect(existsSync(join(root, target)), `${doc}: ${link}`).toBe(true);
        if (hash !== undefined && target.endsWith('.md'))
          expect([...anchors(read(target))], `${doc}: ${link}`).toContain(hash);
      }
    }
  });

  it('every file or folder of this repository the docs name in backticks exists', () => {
    for (const doc of DOCS) {
      for (const m of prose(read(doc)).matchAll(
        /`((?:src|test|bench|eslint|mappings|fixtures|scripts|docs|\.ci)\/[^`\s]*)`/g,
      )) {
        const path = m[1] ?? '';
        if (/[*<]/.test(path)) continue;
        expect(existsSync(join(root, path)), `${doc}: ${path}`).toBe(true);
      }
    }
  });
});
