import { describe, expect, it } from 'vitest';
import { renderMigrateMarkdown } from '../../../src/cli/render/migrate-markdown.js';
import { renderRollbackMarkdown } from '../../../src/cli/render/rollback-markdown.js';
import { renderStatusBrief } from '../../../src/cli/render/status-text.js';
import { renderVerifyMarkdown } from '../../../src/cli/render/verify-markdown.js';
import {
  EXIT,
  type MigrateReport,
  type RollbackReport,
  type RunStatus,
  type StatusReport,
  type VerifyReport,
} from '../../../src/index.js';
import { runCli } from '../../helpers/cli.js';
import { makeInstance } from '../../helpers/fixtures.js';

const DSN = 'postgresql://u:***@db/app';

function verification(ok: boolean): VerifyReport {
  return {
    command: 'verify',
    runId: 'R1',
    instance: 'web-a',
    exitCode: ok ? EXIT.OK : EXIT.VERIFY_DIFFERENCES,
    ok,
    dataDir: '/app/data',
    runState: 'loaded',
    changedFiles: ok ? [] : ['core.db'],
    files: [],
    tables: [
      {
        target: 'public.debates',
        sources: ['core.db debates'],
        rowsSource: 1200,
        rowsTarget: ok ? 1200 : 1199,
        sourceDigest: 'a',
        sourceDigestFrom: 'source',
        targetDigest: ok ? 'a' : 'b',
        missing: ok ? 0 : 3,
        changed: 0,
        extra: 0,
        accountedRejected: 2,
        accountedResolved: 0,
        otherRuns: 0,
        mismatches: ok ? [] : [{ key: 'id=7', kind: 'missing' }],
      },
    ],
    seconds: 1,
    message: ok ? 'run R1 verified: every table holds exactly the source rows' : 'run R1 differs in 1 table(s)',
  };
}

function migrateReport(verify: VerifyReport | null): MigrateReport {
  return {
    command: 'migrate',
    runId: 'R1',
    instance: 'web-a',
    exitCode: verify === null ? EXIT.REJECTED_ROWS : verify.exitCode,
    state: 'loaded',
    resumed: false,
    dataDir: '/app/data',
    target: { dsn: DSN, schema: 'public' },
    tables: [
      {
        source: { file: 'core.db', table: 'debates' },
        target: 'public.debates',
        store: 'core',
        rowsRead: 1202,
        rowsLoaded: 1200,
        rowsRejected: 2,
        rowsMerged: 0,
        rowsRepaired: 5,
        bytes: 2 * 1024 * 1024,
        status: 'rejects',
        reason: null,
        targetState: null,
        seconds: 1.5,
      },
    ],
    findings: [
      {
        file: 'core.db',
        table: 'debates',
        column: 'created_at',
        kind: 'timestamp_unparseable',
        count: 2,
        action: 'reject',
        exampleKeys: ['id=3', 'id=9'],
        message: 'timestamps that cannot be read',
      },
    ],
    files: [],
    rejectFiles: ['/rejects/R1/core.db.debates.rejects.jsonl'],
    rejectDir: '/srv/aragora-migrate-rejects',
    seconds: 2,
    phases: [{ phase: 'load', seconds: 1.5 }],
    message: 'run R1 loaded 1,200 rows',
    verification: verify,
  };
}

function rollbackReport(state: RollbackReport['state'], exitCode: RollbackReport['exitCode']): RollbackReport {
  return {
    command: 'rollback',
    runId: 'R1',
    instance: 'web-a',
    exitCode,
    state,
    forced: false,
    tables: [
      {
        target: 'public.debates',
        rowsDeleted: state === 'refused' ? 0 : 1200,
        rowsRestored: 4,
        changed: exitCode === EXIT.OK ? 0 : 3,
        changedKeys: exitCode === EXIT.OK ? [] : ['id=5', 'id=6'],
        alreadyDone: false,
        dropped: false,
        keptBecause: null,
        gone: false,
      },
    ],
    filesRestored: ['core.db'],
    filesAlreadyInPlace: [],
    seconds: 0.4,
    message: exitCode === EXIT.OK ? 'run R1 rolled back' : 'refused: 3 row(s) changed since',
  };
}

describe('migrate --markdown', () => {
  it('starts with the verdict, run id, instance, masked target and exit code; then the tables with their counts, findings, reject files, verification and next commands', () => {
    const md = renderMigrateMarkdown(migrateReport(verification(true)));
    expect(md).toMatch(/^# aragora-migrate migrate: run R1\n\n\*\*Verdict:\*\* ✓ run R1 loaded and verified/);
    expect(md).toContain('- Run: `R1`');
    expect(md).toContain('- Instance: `web-a`');
    expect(md).toContain(`- Target: \`${DSN}\`, schema \`public\``);
    expect(md).toContain('- Exit code: 0 (ok)');
    expect(md).toContain('| core.db debates | public.debates | 1,202 | 1,200 | 2 | 0 | 5 | 2.0 | 1.5 | 801 | done |');
    expect(md).toContain('| **total** |  | 1,202 | 1,200 | 2 | 0 | 5 |');
    expect(md).toMatch(
      /## Findings\n\n\| action \| where .*\n.*\n\| reject \| core\.db debates\.created_at \| timestamp_unparseable \| 2 \|/,
    );
    expect(md).toContain('## Reject files\n\n- `/rejects/R1/core.db.debates.rejects.jsonl`');
    expect(md).toContain('### Tables compared');
    expect(md).toContain('| public.debates | 1,200 | 1,200 | match | 0 |');
    expect(md).toContain('### Differences\n\nNone.');
    expect(md).toContain('## Next\n\n- `aragora-migrate archive --run R1 --backup-dir <dir>`');
  });

  it('without a verification says how to run one, and the exit code of rejected rows', () => {
    const md = renderMigrateMarkdown(migrateReport(null));
    expect(md).toContain('- Exit code: 3 (ok-with-rejects)');
    expect(md).toContain('## Verification\n\nNot run (--no-verify): `aragora-migrate verify --run R1`');
    expect(md).toContain('- `aragora-migrate verify --run R1`');
  });
});

describe('verify --markdown', () => {
  it('names the differing keys, the changed files and the exit code 4, with the commands that follow', () => {
    const md = renderVerifyMarkdown(verification(false), DSN);
    expect(md).toMatch(
      /^# aragora-migrate verify: run R1\n\n\*\*Verdict:\*\* ✗ run R1: run R1 differs in 1 table\(s\) \(exit 4\)/,
    );
    expect(md).toContain(`- Target: \`${DSN}\``);
    expect(md).toContain('- Exit code: 4 (differences)');
    expect(md).toContain('| public.debates | 1,200 | 1,199 | **DIFFERS** | 3 | 0 | 0 | 2 | 0 | 0 |');
    expect(md).toContain('| public.debates | missing | id=7 |  |');
    expect(md).toContain('- `public.debates`: 2 more (raise --max-keys to list them)');
    expect(md).toContain('changed since the run read them: `core.db`');
    expect(md).toContain('or undo the run: `aragora-migrate rollback --run R1`');
  });
});

describe('rollback --markdown', () => {
  it('lists per table what was deleted and restored, the files moved back, and how to check', () => {
    const md = renderRollbackMarkdown(rollbackReport('rolled-back', EXIT.OK), DSN);
    expect(md).toMatch(/^# aragora-migrate rollback: run R1\n\n\*\*Verdict:\*\* ✓ run R1 rolled back \(exit 0\)/);
    expect(md).toContain('| target | deleted | restored | changed since | state |');
    expect(md).toContain('| public.debates | 1,200 | 4 | 0 | rolled back |');
    expect(md).toContain('## Archived files moved back\n\n- `core.db`');
    expect(md).toContain('`aragora-migrate status --run R1`');
  });

  it('a refused dry run lists the changed keys and the --force command', () => {
    const md = renderRollbackMarkdown(rollbackReport('dry-run', EXIT.REFUSED), DSN);
    expect(md).toContain('# aragora-migrate rollback --dry-run: run R1');
    expect(md).toContain('- Exit code: 5 (refused)');
    expect(md).toContain('| target | would delete | would restore | changed since | would drop |');
    expect(md).toContain('| public.debates | id=5 |');
    expect(md).toContain('- `public.debates`: 1 more (raise --max-keys to list them)');
    expect(md).toContain('`aragora-migrate rollback --run R1 --force`');
  });
});

describe('status --brief', () => {
  const run = (runId: string, over: Partial<RunStatus>): RunStatus => ({
    runId,
    instance: 'web-a',
    host: 'h',
    dataDir: '/app/data',
    schema: 'public',
    state: 'verified',
    startedAt: '2026-11-28T04:50:01.123Z',
    finishedAt: null,
    exitCode: 0,
    error: null,
    verified: true,
    verifications: [],
    archived: false,
    archives: [],
    rolledBack: false,
    tables: [1, 2].map((n) => ({
      source: { file: 'core.db', table: `t${n}` },
      target: `public.t${n}`,
      state: 'loaded' as const,
      rowsSource: 10,
      rowsRead: 10,
      rowsLoaded: 1000 * n,
      rowsRejected: n,
      rowsMerged: 0,
      rowsRepaired: 0,
    })),
    ...over,
  });

  it('prints one line per run with its summed counts and flags, and no tables', () => {
    const report: StatusReport = {
      command: 'status',
      target: DSN,
      exitCode: EXIT.OK,
      ledger: true,
      runs: [run('R2', { state: 'rolled-back', verified: false, rolledBack: true }), run('R1', { archived: true })],
      message: '2 run(s), newest first',
    };
    const lines = renderStatusBrief(report).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^run +instance +state +started +loaded +rejected +merged$/);
    expect(lines[3]).toMatch(/^R2 +web-a +rolled-back +2026-11-28 04:50:01Z +3,000 +3 +0 +not verified, rolled back$/);
    expect(lines[4]).toMatch(/^R1 +web-a +verified +2026-11-28 04:50:01Z +3,000 +3 +0 +verified, archived$/);
  });
});

describe('--json - with --markdown -', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const dsn = 'postgresql://nobody@127.0.0.1:1/none';
  it.each([
    ['migrate', ['migrate', '--data-dir', m.dir, '--database-url', dsn]],
    ['verify', ['verify', '--data-dir', m.dir, '--database-url', dsn, '--run', 'R1']],
    ['rollback', ['rollback', '--run', 'R1', '--database-url', dsn]],
  ])('%s refuses both on stdout before any work: exit 2, CONFIG_INVALID with a hint, nothing on stdout', (_, args) => {
    const r = runCli([...args, '--json', '-', '--markdown', '-']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error CONFIG_INVALID: --json - and --markdown - both write to stdout/m);
    expect(r.stderr).toMatch(/^hint: Write one of the two to a file/m);
    expect(r.stdout).toBe('');
  });
});
