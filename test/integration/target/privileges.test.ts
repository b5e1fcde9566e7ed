import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../helpers/auto-mapping.js';
import { runCli } from '../../helpers/cli.js';
import { withPg } from '../../helpers/migrate.js';
import { useTestDatabase } from '../../helpers/pg.js';

/**
 * migrate run by a role that may not write where it must: from PostgreSQL 15
 * on no role may create in schema public unless granted, and an
 * application's role often owns nothing. plan said GO and migrate stopped on
 * "permission denied" with a stack trace (exit 1); now plan lists each
 * missing privilege as a blocking finding and migrate refuses with
 * TARGET_PERMISSION_DENIED before writing anything, until they are granted.
 */
const pg = useTestDatabase('privileges');
const role = `am_limited_${randomBytes(4).toString('hex')}`;
const password = randomBytes(8).toString('hex');
const ROWS = 500;

function asRole(url: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

function makeSource(): AutoMappedSource {
  return autoMappedSource('privileges', 'notes.db', (db) => {
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE tags (name TEXT PRIMARY KEY)');
    const note = db.prepare('INSERT INTO notes VALUES (?, ?)');
    const tag = db.prepare('INSERT INTO tags VALUES (?)');
    for (let i = 1; i <= ROWS; i++) {
      note.run(i, `body ${i}`);
      tag.run(`tag-${i}`);
    }
  });
}

interface PlanReport {
  readonly findings: { kind: string; action: string; code?: string; message: string }[];
}

const privilegeFindings = (stdout: string): string[] =>
  (JSON.parse(stdout) as PlanReport).findings
    .filter((f) => f.kind === 'target_privileges')
    .flatMap((f) => f.message.split('; ').map((m) => `${f.action} ${f.code ?? ''}: ${m}`));

describe('a role without the privileges migrate writes with', () => {
  beforeAll(async () => {
    await withPg(pg.url, async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      // PostgreSQL 15's default, spelled out for older servers: public is not everyone's to create in.
      await c.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    });
  });

  afterAll(async () => {
    await withPg(pg.url, async (c) => {
      await c.query(`DROP OWNED BY ${role}`);
      await c.query(`DROP ROLE ${role}`);
    });
  });

  it('plan lists each missing privilege and migrate refuses before writing; granted, the same command migrates', async () => {
    const source = makeSource();
    const url = asRole(pg.url);
    const name = new URL(pg.url).pathname.slice(1);

    const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, url)]);
    expect(plan.code, plan.stderr).toBe(5);
    expect(privilegeFindings(plan.stdout)).toEqual([
      `block TARGET_PERMISSION_DENIED: role "${role}" cannot create the ledger's schema aragora_migrate: it lacks CREATE on database "${name}"`,
      `block TARGET_PERMISSION_DENIED: role "${role}" cannot create tables in schema "public": it lacks CREATE on it (from PostgreSQL 15 on, no role has it on public unless granted)`,
    ]);
    const refused = runCli(['migrate', ...sourceArgs(source, url)]);
    expect(refused.code, refused.stderr + refused.stdout).toBe(5);
    expect(refused.stderr).toMatch(/TARGET_PERMISSION_DENIED: the run cannot write:/);
    expect(refused.stderr).not.toMatch(/This is a bug/);
    const written = await withPg(
      pg.url,
      async (c) => (await c.query(`SELECT to_regnamespace('aragora_migrate') AS s`)).rows[0].s,
    );
    expect(written).toBeNull();

    // A table someone else made: the role may read it but not insert into it.
    await withPg(pg.url, async (c) => {
      await c.query(`GRANT CREATE ON DATABASE ${c.escapeIdentifier(name)} TO ${role}`);
      await c.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      await c.query('CREATE TABLE public.tags (name text PRIMARY KEY)');
      await c.query(`GRANT SELECT ON public.tags TO ${role}`);
    });
    const plan2 = runCli(['plan', '--json', '-', ...sourceArgs(source, url)]);
    expect(plan2.code, plan2.stderr).toBe(5);
    expect(privilegeFindings(plan2.stdout)).toEqual([
      `block TARGET_PERMISSION_DENIED: role "${role}" lacks INSERT on "public"."tags"`,
    ]);
    const refused2 = runCli(['migrate', ...sourceArgs(source, url)]);
    expect(refused2.code, refused2.stderr + refused2.stdout).toBe(5);
    expect(refused2.stderr).toContain(`role "${role}" lacks INSERT on "public"."tags"`);

    await withPg(pg.url, (c) => c.query(`GRANT INSERT, UPDATE ON public.tags TO ${role}`));
    const plan3 = runCli(['plan', '--json', '-', ...sourceArgs(source, url)]);
    expect(plan3.code, plan3.stderr).toBe(0);
    const migrate = runCli(['migrate', ...sourceArgs(source, url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
    const counts = await withPg(pg.url, async (c) => [
      (await c.query('SELECT count(*)::int AS n FROM public.notes')).rows[0].n,
      (await c.query('SELECT count(*)::int AS n FROM public.tags')).rows[0].n,
    ]);
    expect(counts).toEqual([ROWS, ROWS]);
  });
});
