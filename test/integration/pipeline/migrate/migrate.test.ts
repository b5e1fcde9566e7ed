import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FixtureManifest } from '../../../../fixtures/generate.js';
import { fromLossless, type LosslessValue } from '../../../../src/tables/lossless.js';
import { runCli } from '../../../helpers/cli.js';
import { makeInstance, naturalKey, withCopy } from '../../../helpers/fixtures.js';
import { mappings, migrate, tableDigests, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

const REJECT_KINDS = ['json_invalid', 'timestamp_unparseable', 'type_mismatch', 'null_key'];

function rejectQuirks(m: FixtureManifest): { file: string; table: string; key: string }[] {
  return m.quirks
    .filter((q) => REJECT_KINDS.includes(q.kind))
    .map((q) => ({ file: q.file, table: q.table, key: naturalKey(m.dir, mappings, q.file, q.table, q.key ?? '') }));
}

describe.each([{ layout: 'legacy' as const }, { layout: 'consolidated' as const }])(
  'migrate a $layout instance into an empty database',
  ({ layout }) => {
    const m = makeInstance({ layout, instance: 'a' });

    it('loads every row that can load, rejects exactly the bad rows with reasons, keeps every value exact, and a rerun is a no-op', async () => {
      const db = await createTestDatabase(`mig_${layout}`);
      try {
        const report = await migrate(m.dir, db.url);
        expect(report.exitCode).toBe(3);
        expect(report.state).toBe('loaded');

        // Every source row ends in exactly one place.
        for (const t of report.tables) {
          expect(t.rowsRead, `${t.source.file} ${t.source.table}`).toBe(t.rowsLoaded + t.rowsRejected + t.rowsMerged);
          expect(t.rowsRead, `${t.source.file} ${t.source.table}`).toBe(
            m.rowCounts[`${t.source.file}:${t.source.table}`],
          );
        }
        // Target counts: what the sources feeding each table loaded.
        const loadedByTarget = new Map<string, number>();
        for (const t of report.tables)
          loadedByTarget.set(t.target ?? '', (loadedByTarget.get(t.target ?? '') ?? 0) + t.rowsLoaded);
        await withPg(db.url, async (c) => {
          for (const [target, loaded] of loadedByTarget) {
            const r = await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM ${target
                .split('.')
                .map((p) => `"${p}"`)
                .join('.')}`,
            );
            expect(Number(r.rows[0]?.n), target).toBe(loaded);
          }
          // Rows that were only in the -wal file are there.
          for (const q of m.quirks.filter((x) => x.kind === 'wal_only_rows')) {
            const spec = mappings.bySource.get(q.table)?.table;
            const key = naturalKey(m.dir, mappings, q.file, q.table, q.key ?? '');
            const r = await c.query(`SELECT 1 FROM "${spec?.target ?? ''}" WHERE "${spec?.key[0] ?? ''}"::text = $1`, [
              key,
            ]);
            expect(r.rowCount, `${q.table} ${key}`).toBe(1);
          }
        });

        // The reject files hold exactly the rejected rows, with reasons, losslessly.
        const lines = report.rejectFiles
          .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
          .map(
            (l) =>
              JSON.parse(l) as {
                file: string;
                table: string;
                key: string;
                rowid: string;
                reason: string;
                row: Record<string, LosslessValue>;
              },
          );
        const expected = rejectQuirks(m);
        expect(lines.map((l) => `${l.file}|${l.table}|${l.key}`).sort()).toEqual(
          expected.map((q) => `${q.file}|${q.table}|${q.key}`).sort(),
        );
        for (const l of lines) {
          expect(l.reason.length).toBeGreaterThan(0);
          const source = withCopy(
            m.dir,
            l.file,
            (sdb) =>
              sdb.prepare(`SELECT * FROM "${l.table}" WHERE rowid = ?`).get(BigInt(l.rowid)) as Record<string, unknown>,
          );
          for (const [col, v] of Object.entries(l.row))
            expect(fromLossless(v), `${l.table}.${col}`).toEqual(source[col]);
        }

        // A second run on unchanged files does nothing and says so.
        const before = await tableDigests(db.url);
        const again = await migrate(m.dir, db.url);
        expect(again.state).toBe('noop');
        expect(again.runId).toBe(report.runId);
        expect(await tableDigests(db.url)).toEqual(before);
      } finally {
        await db.drop();
      }
    });
  },
);

describe('values land exactly', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const continuum = withCopy(
    m.dir,
    'continuum_memory.db',
    (sdb) =>
      sdb
        .prepare('SELECT id, importance, surprise_score, red_line, metadata, created_at FROM continuum_memory')
        .all() as {
        id: string;
        importance: number | null;
        surprise_score: number | null;
        red_line: bigint | null;
        metadata: string | null;
        created_at: string | null;
      }[],
  );
  const repaired = new Set(m.quirks.filter((q) => q.table === 'continuum_memory').map((q) => q.key));

  it('doubles bit for bit, 0/1 as booleans, JSON as jsonb equal to the parsed source, naive timestamps in UTC', async () => {
    const db = await createTestDatabase('mig_values');
    try {
      await migrate(m.dir, db.url);
      await withPg(db.url, async (c) => {
        const rows = await c.query<{
          id: string;
          importance: number | null;
          surprise_score: number | null;
          red_line: boolean | null;
          metadata: unknown;
          ts: string | null;
        }>(
          `SELECT id, importance, surprise_score, red_line, metadata, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts FROM continuum_memory`,
        );
        const byId = new Map(rows.rows.map((r) => [r.id, r]));
        expect(byId.size).toBe(continuum.length);
        for (const s of continuum) {
          const t = byId.get(s.id);
          expect(t, s.id).toBeDefined();
          expect(Object.is(t?.importance, s.importance), `${s.id} importance`).toBe(true);
          expect(Object.is(t?.surprise_score, s.surprise_score), `${s.id} surprise`).toBe(true);
          expect(t?.red_line).toBe(s.red_line === null ? null : s.red_line === 1n);
          if (!repaired.has(s.id))
            expect(t?.metadata, s.id).toEqual(s.metadata === null ? null : JSON.parse(s.metadata));
          if (s.created_at !== null) {
            const naive = s.created_at.replace(' ', 'T');
            expect(t?.ts, s.id).toBe(naive.includes('.') ? naive.padEnd(26, '0') : `${naive}.000000`);
          }
        }
      });
    } finally {
      await db.drop();
    }
  });

  it('reads naive timestamps in --source-timezone', async () => {
    const db = await createTestDatabase('mig_tz');
    try {
      await migrate(m.dir, db.url, { sourceTimezone: 'America/New_York' });
      await withPg(db.url, async (c) => {
        const r = await c.query<{ id: string; ts: string }>(
          `SELECT id, to_char(created_at AT TIME ZONE 'America/New_York', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts FROM continuum_memory WHERE created_at IS NOT NULL`,
        );
        const byId = new Map(r.rows.map((x) => [x.id, x.ts]));
        for (const s of continuum.filter((x) => x.created_at !== null)) {
          const naive = (s.created_at ?? '').replace(' ', 'T');
          expect(byId.get(s.id), s.id).toBe(naive.includes('.') ? naive.padEnd(26, '0') : `${naive}.000000`);
        }
      });
    } finally {
      await db.drop();
    }
  });
});

describe('a source file held open by a live writer', () => {
  it('is refused with exit 5 and a message to stop the service; --allow-live reads it anyway', async () => {
    const m = makeInstance({ layout: 'legacy', instance: 'a' });
    const db = await createTestDatabase('mig_live');
    // Aragora keeps its database open read-write for the life of the process.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `require('fs').openSync(${JSON.stringify(join(m.dir, 'genesis.db'))}, 'r+'); console.log('open'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
      const refused = runCli(['migrate', '--data-dir', m.dir, '--database-url', db.url, '--quiet']);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain('SOURCE_BUSY');
      expect(refused.stderr).toMatch(/genesis\.db: held open by pid \d+/);
      expect(refused.stderr).toMatch(/stop the aragora service/i);
      const allowed = runCli([
        'migrate',
        '--data-dir',
        m.dir,
        '--database-url',
        db.url,
        '--quiet',
        '--allow-live',
        '--reject-dir',
        join(m.dir, '..', 'rej'),
      ]);
      expect(allowed.code).toBe(3);
    } finally {
      writer.kill('SIGKILL');
      await db.drop();
    }
  });
});
