import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/files.js';
import { makeInstance } from '../../helpers/fixtures.js';

describe('the aragora-migrate command line', () => {
  it('lists its commands and the exit codes in --help', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['discover', 'plan', 'Exit codes', '5  refused by a preflight'])
      expect(r.stdout).toContain(word);
  });

  it('plan --json - prints only the JSON report, in the shape docs/json-report.md gives, and exits 3 on rows that would be rejected', () => {
    const m = makeInstance({ layout: 'legacy', instance: 'a' });
    const r = runCli(['plan', '--data-dir', m.dir, '--json', '-', '--instance', 'web-1']);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['instance', 'exitCode', 'tables', 'findings', 'files']),
    );
    expect(report.instance).toBe('web-1');
    expect(report.exitCode).toBe(3);
    // What produced it, when, and the exit code in a word (docs/json-report.md).
    expect(report).toMatchObject({ schemaVersion: 1, verdict: 'ok-with-rejects', command: 'plan' });
    expect(report.toolVersion).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    expect(Date.now() - Date.parse(report.generatedAt as string)).toBeLessThan(60_000);
    const table = (report.tables as Record<string, unknown>[]).find(
      (t) => (t.source as { table: string }).table === 'ratings',
    );
    expect(Object.keys(table ?? {})).toEqual(
      expect.arrayContaining(['source', 'target', 'rowsRead', 'rowsLoaded', 'rowsRejected', 'rowsMerged', 'status']),
    );
    expect(table?.target).toBe('public.elo_ratings');
    const finding = (report.findings as Record<string, unknown>[])[0];
    expect(Object.keys(finding ?? {})).toEqual(
      expect.arrayContaining(['file', 'table', 'column', 'kind', 'count', 'action', 'exampleKeys']),
    );
    const file = (report.files as Record<string, unknown>[])[0];
    expect(Object.keys(file ?? {})).toEqual(
      expect.arrayContaining(['path', 'layout', 'stores', 'sizeBytes', 'walBytes', 'status']),
    );
  });

  it('writes the Markdown report and a readable terminal report with the verdict', () => {
    const m = makeInstance({ layout: 'consolidated', instance: 'a' });
    const md = join(tempDir('md'), 'plan.md');
    const r = runCli(['plan', '--data-dir', m.dir, '--markdown', md]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Verdict: GO WITH REJECTS/);
    expect(r.stdout).toMatch(/analytics\.db +consolidated/);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('# aragora-migrate plan');
    expect(text).toContain('| action | where | kind | count |');
  });

  it('takes the data dir from ARAGORA_DATA_DIR', () => {
    const m = makeInstance({ layout: 'legacy', instance: 'b' });
    const r = runCli(['discover', '--json', '-'], { ARAGORA_DATA_DIR: m.dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { dataDir: string }).dataDir).toBe(m.dir);
  });

  it('answers a missing data dir with a code and a hint, exit 2, no stack', () => {
    const r = runCli(['plan', '--data-dir', '/nonexistent/aragora']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_DATA_DIR_MISSING');
    expect(r.stderr).toContain('hint:');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a command that stops on an error still writes the reports asked for: the error, its code and hint, in the exit code's verdict", () => {
    const dir = tempDir('error-report');
    const json = join(dir, 'plan.json');
    const md = join(dir, 'plan.md');
    // A report left by an earlier run must not pass for this one's.
    writeFileSync(json, '{"verdict":"ok","exitCode":0}');
    const r = runCli(['plan', '--data-dir', '/nonexistent/aragora', '--json', json, '--markdown', md]);
    expect(r.code).toBe(2);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({
      schemaVersion: 1,
      verdict: 'usage',
      command: 'plan',
      exitCode: 2,
      runId: null,
      error: { code: 'CONFIG_DATA_DIR_MISSING', message: expect.stringContaining('/nonexistent/aragora') as unknown },
    });
    expect(readFileSync(md, 'utf8')).toMatch(
      /^# aragora-migrate plan: stopped on an error\n[^]*CONFIG_DATA_DIR_MISSING[^]*- Hint: Pass --data-dir/,
    );
    // On stdout (--json -), the report is all there is; stderr keeps the error for the operator.
    const unknown = runCli(['verify', '--json', '-', '--no-such-flag']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      verdict: 'usage',
      command: 'verify',
      error: { code: 'CONFIG_INVALID', message: "unknown option '--no-such-flag'" },
    });
    expect(unknown.stderr).toMatch(/^error CONFIG_INVALID: unknown option/m);
    // Without --json, stdout stays empty.
    expect(runCli(['plan', '--data-dir', '/nonexistent/aragora']).stdout).toBe('');
  });

  it('reports every problem of a broken mapping folder at once, exit 2', () => {
    const dir = tempDir('badmap');
    mkdirSync(join(dir, 'maps'));
    writeFileSync(
      join(dir, 'maps', 'x.json'),
      JSON.stringify({
        name: 'x',
        files: {},
        tables: [{ source: 't', target: 't', key: ['nope'], columns: [{ name: 'a', type: 'txt' }] }],
      }),
    );
    const r = runCli(['plan', '--data-dir', dir, '--mappings', join(dir, 'maps')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MAPPING_INVALID');
    expect(r.stderr).toMatch(/tables\[0\]\.columns\[0\]\.type/);
  });

  it('rejects an unknown flag with exit 2', () => {
    expect(runCli(['plan', '--no-such-flag']).code).toBe(2);
  });

  it('answers a missing required option like every other error: a code, a hint, exit 2; help marks it required', () => {
    for (const [args, flag] of [
      [['archive', '--data-dir', '/tmp'], '--backup-dir'],
      [['rollback'], '--run'],
    ] as const) {
      const r = runCli([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^error CONFIG_INVALID: required option '${flag} <\\w+>' not specified$`, 'm'),
      );
      expect(r.stderr).toMatch(/^hint: /m);
      expect(runCli([args[0], '--help']).stdout).toMatch(new RegExp(`${flag} <\\w+> +\\(required\\)`));
    }
  });
});
