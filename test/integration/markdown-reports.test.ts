import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrateReport } from '../../src/report/migrate-report.js';
import type { StatusReport } from '../../src/report/status-report.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { makeInstance } from '../helpers/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/** Lines only the text reports print: their first line, and the dashes under a text table's header. */
const TEXT_REPORT = /^aragora-migrate (migrate|verify|rollback)[^:]*: run |^-{3,} {2}-{3,}/m;

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * The Markdown reports of real runs, as an operator attaches them to a change
 * ticket: migrate, verify and rollback on one instance, each report naming the
 * run, its tables with their counts, and the verdict.
 */
describe('--markdown reports of migrate, verify and rollback', () => {
  const inst = makeInstance({ layout: 'legacy', instance: 'a' });
  const out = tempDir('md-reports');
  let db: TestDatabase;
  let runId = '';

  beforeAll(async () => {
    db = await createTestDatabase('md_reports');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('migrate --markdown FILE: the run id, the masked target, every table with its counts, the findings, reject files, verdict and exit code; the text report still on stdout', () => {
    const url = new URL(db.url);
    url.password = 'sekret-pw';
    const md = join(out, 'migrate.md');
    const json = join(out, 'migrate.json');
    const r = runCli([
      'migrate',
      '--data-dir',
      inst.dir,
      '--database-url',
      url.toString(),
      '--instance',
      'md-a',
      '--reject-dir',
      join(out, 'rejects'),
      '--markdown',
      md,
      '--json',
      json,
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(3);
    const report = JSON.parse(readFileSync(json, 'utf8')) as MigrateReport;
    runId = report.runId;
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(new RegExp(`^# aragora-migrate migrate: run ${runId}\n`));
    expect(text).toMatch(
      new RegExp(`^\\*\\*Verdict:\\*\\* ✓ run ${runId} loaded and verified; 6 row\\(s\\) rejected.*\\(exit 3\\)$`, 'm'),
    );
    expect(text).toContain('- Instance: `md-a`');
    expect(text).toMatch(/^- Target: `postgres(ql)?:\/\/[^`]*:\*\*\*@[^`]*`, schema `public`$/m);
    expect(text).not.toContain('sekret-pw');
    expect(text).toContain('- Exit code: 3 (ok-with-rejects)');
    for (const t of report.tables)
      expect(text).toContain(
        `| ${t.source.file} ${t.source.table} | ${t.target ?? ''} | ${[t.rowsRead, t.rowsLoaded, t.rowsRejected, t.rowsMerged, t.rowsRepaired].map(count).join(' | ')} |`,
      );
    expect(text).toMatch(/^## Findings\n\n\| action \|/m);
    expect(report.rejectFiles.length).toBeGreaterThan(0);
    for (const f of report.rejectFiles) expect(text).toContain(`- \`${f}\``);
    expect(text).toContain('### Tables compared');
    expect(text).toContain(`- \`aragora-migrate archive --run ${runId} --backup-dir <dir>\``);
    // The text report is not replaced by a report written to a file.
    expect(r.stdout).toMatch(TEXT_REPORT);
  });

  it('verify --markdown -: only the Markdown on stdout, with each table compared and the verdict', () => {
    const r = runCli(['verify', '--data-dir', inst.dir, '--database-url', db.url, '--run', runId, '--markdown', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^# aragora-migrate verify: run ${runId}\n\n\\*\\*Verdict:\\*\\* ✓ run ${runId} verified`),
    );
    expect(r.stdout).toContain('- Exit code: 0 (ok)');
    expect(r.stdout).toMatch(/^\| elo_matches \| [\d,]+ \| [\d,]+ \| match \| 0 \| 0 \| 0 \|/m);
    expect(r.stdout).toContain('## Differences\n\nNone.');
    expect(r.stdout).not.toMatch(TEXT_REPORT);
  });

  it('rollback --markdown -: only the Markdown on stdout, per table the rows deleted, then status shows the run and its tables rolled back', () => {
    const json = join(out, 'rollback.json');
    const r = runCli(['rollback', '--run', runId, '--database-url', db.url, '--markdown', '-', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^# aragora-migrate rollback: run ${runId}\n\n\\*\\*Verdict:\\*\\* ✓ run ${runId} rolled back: .*\\(exit 0\\)$`,
        'm',
      ),
    );
    expect(r.stdout).toContain('- Instance: `md-a`');
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      tables: { target: string; rowsDeleted: number; rowsRestored: number }[];
    };
    expect(report.tables.length).toBeGreaterThan(0);
    for (const t of report.tables)
      expect(r.stdout).toMatch(
        new RegExp(
          `^\\| ${t.target} \\| ${count(t.rowsDeleted)} \\| ${count(t.rowsRestored)} \\| 0 \\| [^|]+ \\|$`,
          'm',
        ),
      );
    expect(r.stdout).not.toMatch(TEXT_REPORT);

    const status = JSON.parse(runCli(['status', '--database-url', db.url, '--json', '-']).stdout) as StatusReport;
    const run = status.runs.find((x) => x.runId === runId);
    expect(run?.state).toBe('rolled-back');
    expect(new Set(run?.tables.map((t) => t.state))).toEqual(new Set(['rolled-back']));
    const text = runCli(['status', '--database-url', db.url, '--run', runId]).stdout;
    expect(text).toMatch(/^ {4}elo_matches +agent_elo\.db matches( +[\d,]+){6} +rolled-back$/m);
    expect(text).not.toMatch(/ loaded$/m);
  });
});
