import { beforeAll, describe, expect, it } from 'vitest';
import { renderPlanText } from '../../../src/cli/render/plan-text.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { loadBuiltinMappingSet } from '../../../src/mapping/load.js';
import { runPlan } from '../../../src/pipeline/plan/plan.js';
import type { PlanReport } from '../../../src/index.js';
import { makeInstance } from '../../helpers/fixtures.js';

const mappings = loadBuiltinMappingSet();
const longest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

/** The section of a report from its heading to the next blank line. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  const end = lines.indexOf('', start);
  return lines.slice(start, end < 0 ? undefined : end);
}

describe("plan's and discover's text", () => {
  let plan: PlanReport;
  let discover: PlanReport;
  beforeAll(async () => {
    const m = makeInstance({ layout: 'both', instance: 'a' });
    const config = loadConfig({ dataDir: m.dir, instance: 'web-1' }, {});
    plan = await runPlan({ config, mappings });
    discover = await runPlan({ config, mappings, inventoryOnly: true });
  });

  it("says plan's shared reason for not migrating a table once, with the tables and files it applies to", () => {
    const text = renderPlanText(plan);
    const bookkeeping = plan.tables.filter((t) => t.source.table === '_schema_versions');
    expect(bookkeeping.length).toBeGreaterThan(2);
    const reason = bookkeeping[0]?.reason ?? '';
    expect(text.split(reason).length - 1).toBe(1);
    const lines = section(text, 'Not migrated');
    expect(lines[0]).toBe(`Not migrated (${plan.tables.filter((t) => t.target === null).length})`);
    const at = lines.indexOf(`  ${reason} (${bookkeeping.length} tables):`);
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe(
      `    _schema_versions in ${bookkeeping.length} files: ${bookkeeping.map((t) => t.source.file).join(', ')}`,
    );
    // Every table not migrated is still named.
    for (const t of plan.tables.filter((x) => x.target === null)) {
      expect(
        lines.some((l) => l.includes(t.source.table) && l.includes(t.source.file)),
        t.source.table,
      ).toBe(true);
    }
  });

  it('says a finding message repeated per file once, each place under it', () => {
    const text = renderPlanText(plan);
    const wal = plan.findings.filter((f) => f.kind === 'wal_pending');
    expect(wal.length).toBeGreaterThan(1);
    const shared = 'they are read through a private snapshot copy, the source is not checkpointed';
    expect(text.split(shared).length - 1).toBe(1);
    for (const f of wal)
      expect(text).toContain(`\n         ${f.file ?? ''}: wal_pending x${f.count}: ${f.count} page(s)`);
    // Each finding keeps a line naming its kind, as a finding alone has it (scripts grep for them).
    expect(text.match(/: wal_pending x/g)?.length).toBe(wal.length);
  });

  it("marks discover's skipped objects with their reason's number, said once under the table", () => {
    const text = renderPlanText(discover);
    const reasons = [...new Set(discover.files.flatMap((f) => f.objects.map((o) => o.skipReason)))].filter(
      (r) => r !== null,
    );
    expect(reasons.length).toBeGreaterThan(1);
    for (const r of reasons) expect(text.split(r).length - 1, r).toBe(1);
    expect(text).toMatch(/_schema_versions +table +\d+ +skipped \[1\]/);
    expect(section(text, 'Skipped')[1]).toMatch(/^ {2}\[1\] schema bookkeeping .*: \d+ objects$/);
  });

  it('fits every line of its tables to a terminal width, and cuts nothing in a pipe', () => {
    for (const report of [plan, discover]) {
      const whole = renderPlanText(report);
      expect(whole).not.toContain('…');
      expect(longest(section(whole, 'Files').join('\n'))).toBeGreaterThan(80);
      const narrow = renderPlanText(report, { width: 80 });
      for (const heading of ['Files', 'Tables', 'Not migrated', 'Skipped', 'Findings']) {
        if (!whole.includes(`\n${heading}`)) continue;
        expect(longest(section(narrow, heading).join('\n')), `${report.command} ${heading}`).toBeLessThanOrEqual(80);
      }
      // Nothing is lost but characters of cut cells: the same lines in the same order.
      expect(section(narrow, 'Tables').length).toBe(section(whole, 'Tables').length);
    }
  });
});
