/**
 * npm run demo: the whole job on example data, as an operator would type it.
 *
 * Generates two Aragora instances (A in the legacy layout, B consolidated, both
 * with the quirks real files hold), finds a PostgreSQL (DATABASE_URL, else the
 * local server on 127.0.0.1:5432, else an embedded one it starts and removes
 * again: scripts/postgres-server.ts), creates a database of its own there, and
 * runs plan → migrate A → verify A → plan B → migrate B (merging into A's
 * tables) → status → archive A → rollback B → status, printing each command
 * before its output. Needs the build (npm ci runs it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pg from 'pg';
import { generateInstance } from '../fixtures/generate.js';
import { maskDsn } from '../src/config/dsn.js';
import { resolveServer, type ResolvedServer } from './postgres-server.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/**
 * How the tool is started: the build, as `npx aragora-migrate` would; or, with
 * AM_DEMO_FROM_SOURCE=1 (test/integration/demo.test.ts), the sources through
 * tsx, so the test runs the code it sits beside even before a rebuild.
 */
const FROM_SOURCE = process.env['AM_DEMO_FROM_SOURCE'] === '1';
const TOOL = FROM_SOURCE ? ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')] : [CLI];
/** Where the example instances, reject files and backups go: --out DIR, by default example-data/ (git ignores it). */
const OUT = resolve(ROOT, outFlag(process.argv.slice(2)) ?? 'example-data');
const DEMO_DB = 'aragora_migrate_demo';

/** What each exit code means, said after every step (docs/errors.md). */
const MEANING: Record<number, string> = {
  0: 'done',
  3: 'done; some rows were rejected and kept in reject files (the example data holds bad rows on purpose)',
  4: 'verification found differences',
  5: 'refused',
};

function outFlag(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--out');
  return i >= 0 ? argv[i + 1] : undefined;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Runs one CLI step as the operator would type it; stops the demo on an exit code it does not expect. */
function step(
  env: NodeJS.ProcessEnv,
  title: string,
  args: readonly string[],
  expect: readonly number[] = [0, 3],
): void {
  say(process.stdout.isTTY ? `\n\x1b[1m## ${title}\x1b[0m` : `\n## ${title}`);
  say(`$ aragora-migrate ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `"${a}"`)).join(' ')}`);
  const r = spawnSync(process.execPath, [...TOOL, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = r.status ?? 1;
  say(`→ exit ${code}: ${MEANING[code] ?? 'unexpected'}`);
  if (!expect.includes(code)) {
    say(`The demo stops here: exit ${code} was not expected for this step.`);
    process.exit(code === 0 ? 1 : code);
  }
}

/** A database of the demo's own on the server, made afresh, so nothing of the operator's is touched. */
async function demoDatabase(server: ResolvedServer): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DEMO_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DEMO_DB}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${DEMO_DB}`;
  return url.toString();
}

async function main(): Promise<void> {
  if (!FROM_SOURCE && !existsSync(CLI)) {
    say(`${relative(ROOT, CLI)} is missing: run npm ci (or npm run build) first.`);
    process.exit(2);
  }
  say('# aragora-migrate demo: two Aragora instances into one PostgreSQL, and back');
  rmSync(OUT, { recursive: true, force: true });
  const a = join(OUT, 'instance-a');
  const b = join(OUT, 'instance-b');
  generateInstance({ dir: a, layout: 'legacy', instance: 'a' });
  generateInstance({ dir: b, layout: 'consolidated', instance: 'b' });
  say(`Example data: ${relative(ROOT, a)} (legacy layout, one .db per store) and ${relative(ROOT, b)} (consolidated).`);

  say('Finding a PostgreSQL: DATABASE_URL, else 127.0.0.1:5432, else an embedded one (the first start takes ~20 s) …');
  const server = await resolveServer('DATABASE_URL');
  try {
    const url = await demoDatabase(server);
    const what =
      server.teardown === undefined ? server.description : 'a PostgreSQL started for this demo, removed at the end';
    say(`Using ${maskDsn(url)} (${what}).`);
    say(`Every command below reads the target from ARAGORA_POSTGRES_DSN, set to that URL.`);
    const env = { ...process.env, ARAGORA_POSTGRES_DSN: url, DATABASE_URL: undefined, FORCE_COLOR: '0' };
    const rejects = relative(ROOT, join(OUT, 'rejects'));
    const backup = relative(ROOT, join(OUT, 'backup-a'));
    const A = ['--data-dir', relative(ROOT, a), '--instance', 'web-a'];
    const B = ['--data-dir', relative(ROOT, b), '--instance', 'web-b'];

    step(env, '1. Plan instance A: a dry run, writes nothing', ['plan', ...A, '--quiet']);
    step(env, '2. Migrate A (drained): COPY in batches, checkpointed, then verified', [
      'migrate',
      ...A,
      '--reject-dir',
      rejects,
      '--quiet',
    ]);
    step(env, '3. Verify A again, on its own: every row compared with the source', ['verify', ...A, '--quiet']);
    step(env, "4. Plan instance B: its rows meet A's keys", ['plan', ...B, '--quiet']);
    step(env, "5. Migrate B: merged into A's tables by each table's conflict policy", [
      'migrate',
      ...B,
      '--reject-dir',
      rejects,
      '--quiet',
    ]);
    step(env, '6. Status: what the ledger says about both runs', ['status']);
    step(env, "7. Archive A's files: moved to a backup folder with a checksummed manifest", [
      'archive',
      ...A,
      '--backup-dir',
      backup,
      '--quiet',
    ]);
    const runB = latestRunId(env, 'web-b');
    say(`\n(B's run id, from the ledger: aragora-migrate status --json - lists every run.)`);
    step(env, '8. Roll back B: its rows deleted, the rows it merged into restored', ['rollback', '--run', runB]);
    step(env, '9. Status again: B rolled back, A verified and archived', ['status']);
    say(
      server.teardown === undefined
        ? `\nThe database ${DEMO_DB} is left for you to look at: psql "${maskDsn(url)}".`
        : '\nThe embedded PostgreSQL is stopped and removed now; set DATABASE_URL to keep the result on a server of yours.',
    );
  } finally {
    await server.teardown?.();
  }
}

/** The newest run of an instance, as a script would find it: from status's JSON report (docs/json-report.md). */
function latestRunId(env: NodeJS.ProcessEnv, instance: string): string {
  const r = spawnSync(process.execPath, [...TOOL, 'status', '--json', '-'], { cwd: ROOT, env, encoding: 'utf8' });
  const report = JSON.parse(r.stdout) as { runs: { runId: string; instance: string; startedAt: string }[] };
  const run = report.runs
    .filter((x) => x.instance === instance)
    .sort((x, y) => y.startedAt.localeCompare(x.startedAt))[0];
  if (run === undefined) throw new Error(`status lists no run of ${instance}`);
  return run.runId;
}

await main();
