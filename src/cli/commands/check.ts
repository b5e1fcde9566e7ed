import { Command } from 'commander';
import { DEFAULTS, loadConfig, runCheck } from '../../index.js';
import { EXIT_CODE_HELP, type Done } from '../exit-codes.js';
import { checkOutputs, writeReports } from '../output.js';
import { renderCheckMarkdown } from '../render/check-markdown.js';
import { renderCheckText } from '../render/check-text.js';
import { terminalWidth } from '../render/format.js';
import { positiveInt } from '../shared-flags.js';

interface CheckFlags {
  databaseUrl?: string;
  redisUrl?: string;
  url?: string;
  instanceUrl?: string[];
  instances?: number;
  timeout: number;
  caFile?: string;
  keepFiles?: string[];
  json?: string;
  markdown?: string;
}

const repeat = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * The instances as --env-file and --drop-in give them, in the order they
 * appear: each --env-file starts an instance, each --drop-in joins the one
 * before. Two flags rather than one with comma-joined paths: Node.js 20 checks
 * that every `--env-file` argument on the command line is an existing file,
 * even one meant for the script (docs/environment.md), so `a.env,a.conf`
 * would stop it before check starts.
 */
function instanceFiles(): {
  envFile: (v: string) => string[][];
  dropIn: (v: string) => string[][];
  groups: string[][];
} {
  const groups: string[][] = [];
  return {
    groups,
    envFile: (v) => {
      groups.push([v]);
      return groups;
    },
    dropIn: (v) => {
      const last = groups.at(-1);
      if (last === undefined) groups.push([v]);
      else last.push(v);
      return groups;
    },
  };
}

export function checkCommand(done: Done): Command {
  const files = instanceFiles();
  const cmd = new Command('check')
    .description(
      "The cutover checklist. Before the switch: every instance's env file names the same PostgreSQL and Redis, over TLS, with Aragora's shared-state settings; the pools fit the server's connections; PostgreSQL and Redis answer. After it: the instances' health endpoints, their connections to PostgreSQL, the same latest debates, and every run verified and archived. Reads only.",
    )
    .option(
      '--env-file <path>',
      "one instance's env file (KEY=VALUE or systemd drop-in), once per instance: unlike other commands, the files do not merge, each is an instance",
      files.envFile,
    )
    .option(
      '--drop-in <path>',
      "a further file of the instance whose --env-file comes before it, e.g. its systemd drop-in (repeatable); its env file's values win over a drop-in's, as systemd's EnvironmentFile= over Environment=",
      files.dropIn,
    )
    .option(
      '--database-url <dsn>',
      "the shared PostgreSQL to connect to (default: $ARAGORA_POSTGRES_DSN, then $DATABASE_URL, then the first instance's env file)",
    )
    .option('--redis-url <url>', "the shared Redis to connect to (default: the first instance's env file)")
    .option('--url <url>', "after the switch: the load balancer's URL, https://…")
    .option('--instance-url <url>', "after the switch: an instance's own URL (repeatable, once per instance)", repeat)
    .option(
      '--instances <n>',
      'how many instances share the server (default: the --instance-url count, else the --env-file count)',
      positiveInt,
    )
    .option(
      '--timeout <ms>',
      'per HTTP request and Redis command, in milliseconds',
      positiveInt,
      DEFAULTS.checkTimeoutMs,
    )
    .option(
      '--ca-file <path>',
      'a PEM CA trusted besides the system roots, for https:// and rediss:// with a private CA',
    )
    .option(
      '--keep-files <instance>',
      'an instance whose SQLite files are kept on purpose rather than archived (repeatable)',
      repeat,
    )
    .option('--json <file>', 'write the report as JSON to a file, or - for stdout')
    .option('--markdown <file>', 'write the report as Markdown (for a change ticket) to a file, or - for stdout');
  cmd.addHelpText(
    'after',
    `${EXIT_CODE_HELP}  (check: 0 when no item fails, 5 when any does)\nExamples:\n  $ aragora-migrate check --env-file web-a.env --env-file web-b.env --drop-in web-b-db.conf\n  $ aragora-migrate check --database-url "$ARAGORA_POSTGRES_DSN" --url https://aragora.example.com --instance-url https://web-a:8080 --instance-url https://web-b:8080\n`,
  );
  cmd.action(async (flags: CheckFlags) => {
    checkOutputs(flags);
    const envFiles = files.groups;
    // The DSN as every command takes it: the flag, else the environment (src/config/load-config.ts).
    const config = loadConfig(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {});
    const after = flags.url !== undefined || (flags.instanceUrl ?? []).length > 0;
    const report = await runCheck({
      envFiles,
      target: config.target,
      targetFrom: flags.databaseUrl !== undefined ? '--database-url' : '$ARAGORA_POSTGRES_DSN or $DATABASE_URL',
      redisUrl: flags.redisUrl ?? null,
      loadBalancerUrl: flags.url ?? null,
      instanceUrls: flags.instanceUrl ?? [],
      timeoutMs: flags.timeout,
      keptInstances: flags.keepFiles ?? [],
      // A DSN only in the environment does not by itself ask for the before-the-switch checks when URLs are given.
      before:
        envFiles.length > 0
        || flags.databaseUrl !== undefined
        || flags.redisUrl !== undefined
        || (!after && config.target !== null),
      ...(flags.instances !== undefined ? { expectedInstances: flags.instances } : {}),
      ...(flags.caFile !== undefined ? { caFile: flags.caFile } : {}),
    });
    writeReports(flags, report, {
      markdown: () => renderCheckMarkdown(report),
      text: () => renderCheckText(report, { width: terminalWidth(process.stdout) }),
    });
    done(report);
  });
  return cmd;
}
