import { Command } from 'commander';
import { DEFAULTS, runVerify } from '../../index.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { terminalWidth } from '../render/format.js';
import { checkOutputs, reportOnStdout, writeReports } from '../output.js';
import { progressReporter } from '../render/progress.js';
import { renderVerifyMarkdown } from '../render/verify-markdown.js';
import { renderVerifyText } from '../render/verify-text.js';
import { addSourceTargetFlags, positiveInt, resolve, type SourceTargetFlags } from '../shared-flags.js';

interface VerifyFlags extends SourceTargetFlags {
  run?: string;
  maxKeys: number;
  json?: string;
  markdown?: string;
  quiet?: boolean;
  fromSource: boolean;
}

export function verifyCommand(done: Done): Command {
  const cmd = new Command('verify')
    .description(
      "Re-check the target against the source on its own: every table read back by the server and compared with the source's rows, converted again or, where the source files are unchanged since the run, as the load digested them; names every key that differs.",
    )
    .option('--run <id>', 'the run to verify (default: this instance’s latest run from this data dir)')
    .option('--max-keys <n>', 'differing keys listed per table', positiveInt, DEFAULTS.maxKeys)
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout')
    .option('--markdown <file>', 'write the report as Markdown (for a change ticket) to a file, or - for stdout')
    .option(
      '--from-source',
      "convert every source row again, even where the files are unchanged since the run and the load's row digests could stand in",
      false,
    )
    .option('-q, --quiet', 'no progress on stderr', false);
  addSourceTargetFlags(cmd);
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}\nExample:\n  $ aragora-migrate verify --data-dir /app/data --database-url "$ARAGORA_POSTGRES_DSN" --instance web-1\n`,
  );
  cmd.action(async (flags: VerifyFlags) => {
    const { config, mappings } = await resolve(flags);
    checkOutputs(flags);
    const progress = progressReporter({ quiet: flags.quiet === true || reportOnStdout(flags), verb: 'verifying' });
    try {
      const report = await runVerify({
        config,
        mappings,
        reporter: progress,
        maxKeys: flags.maxKeys,
        fromSource: flags.fromSource,
        ...(flags.run !== undefined ? { runId: flags.run } : {}),
      });
      progress.stop();
      writeReports(flags, report, {
        markdown: () => renderVerifyMarkdown(report, config.target?.display ?? '-'),
        text: () => renderVerifyText(report, { width: terminalWidth(process.stdout) }),
      });
      done(report);
    } finally {
      progress.stop();
    }
  });
  return cmd;
}
