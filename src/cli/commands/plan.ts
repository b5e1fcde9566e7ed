import { Command } from 'commander';
import { assertDataDir, dataDirOrigin, runPlan, type PlanReport } from '../../index.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { checkOutputs, reportOnStdout, writeReports } from '../output.js';
import { renderPlanMarkdown, renderPlanText } from '../render/plan-text.js';
import { terminalWidth } from '../render/format.js';
import { progressReporter } from '../render/progress.js';
import { addLoadFlags, addSourceTargetFlags, resolve, type SourceTargetFlags } from '../shared-flags.js';

interface PlanFlags extends SourceTargetFlags {
  json?: string;
  markdown?: string;
  quiet?: boolean;
}

export function planCommand(done: Done): Command {
  const cmd = new Command('plan')
    .description(
      'Dry run: find the SQLite files, profile every table against its conversion, check the target, say go or no-go. Writes nothing anywhere.',
    )
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout (then nothing else goes to stdout)')
    .option('--markdown <file>', 'write the report as Markdown')
    .option('-q, --quiet', 'no progress on stderr', false);
  addLoadFlags(addSourceTargetFlags(cmd));
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate plan --data-dir /app/data --database-url "$ARAGORA_POSTGRES_DSN" --json plan.json\n`,
  );
  cmd.action(async (flags: PlanFlags) => {
    done(await planOrDiscover(flags, false));
  });
  return cmd;
}

/**
 * plan, or with `inventoryOnly` discover (the same report without profiling
 * or the target): both list the files the same way, so they share this.
 */
export async function planOrDiscover(flags: PlanFlags, inventoryOnly: boolean): Promise<PlanReport> {
  const { config, mappings } = await resolve(flags);
  assertDataDir(config.dataDir, dataDirOrigin(config));
  checkOutputs(flags);
  const progress = progressReporter({ quiet: flags.quiet === true || reportOnStdout(flags), verb: 'profiling' });
  let report;
  try {
    report = await runPlan({ config, mappings, reporter: progress, inventoryOnly });
  } finally {
    progress.stop();
  }
  const done = report;
  writeReports(flags, report, {
    markdown: () => renderPlanMarkdown(done),
    // Fitted to the terminal when stdout is one; a pipe or a file gets every line whole.
    text: () => renderPlanText(done, { width: terminalWidth(process.stdout) }),
  });
  return report;
}
