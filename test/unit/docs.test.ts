import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { ERROR_CODES } from '../../src/errors.js';
import { loadBuiltinMappingSet } from '../../src/mapping/load.js';
import { FINDING_ACTIONS, FINDING_KINDS } from '../../src/findings/finding.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('documents every error code with its exit code', () => {
    for (const [code, { exit }] of Object.entries(ERROR_CODES)) expect(readme).toMatch(new RegExp(`\\| \`${code}\` \\| ${exit} \\|`));
  });

  it('documents every command and every flag', () => {
    for (const cmd of buildProgram().commands) {
      expect(readme).toContain(`### \`${cmd.name()}\``);
      for (const opt of cmd.options) expect(readme, `${cmd.name()} ${opt.long ?? ''}`).toContain(opt.long ?? '');
    }
  });

  it('documents every finding kind and action', () => {
    for (const k of FINDING_KINDS) expect(readme).toContain(`\`${k}\``);
    for (const a of FINDING_ACTIONS) expect(readme).toContain(`\`${a}\``);
  });

  it("states every shipped table's conflict policy", () => {
    for (const { table } of loadBuiltinMappingSet().bySource.values()) {
      const c = table.conflict;
      const policy = c.policy === 'newest' ? `newest:${c.column}` : c.policy;
      expect(readme, table.target).toMatch(new RegExp(`\\| \`${table.target}\` \\| [^|]+ \\| ${policy}\\b`));
    }
  });

  it('starts with the two commands a new user runs', () => {
    const blocks = [...readme.matchAll(/```sh\n([^`]+)```/g)].map((m) => (m[1] ?? '').trim());
    expect(blocks.slice(0, 2)).toEqual(['npm ci && npm run example', 'npm test']);
  });
});
