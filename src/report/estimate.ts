/**
 * Throughput the estimate assumes, from `npm run bench` on the reference
 * machine (2 cores, PostgreSQL 15 on loopback, 1.5M Aragora-shaped rows,
 * 1.25 GB): the load ran at about 44,000 rows/s (36 MB/s of source) at a slow
 * hour, 50,000 at a fast one. The verification migrate runs afterwards takes
 * 0.12 to 0.17x the load: it reads the target and takes the load's row digests
 * for the source (docs/performance.md); converting the source again, as it does
 * for files changed since, took about 0.5x.
 * Update these when the benchmark's figures change.
 */
const ROWS_PER_SECOND = 44_000;
const BYTES_PER_SECOND = 36 * 1024 * 1024;
const PER_TABLE_SECONDS = 0.05;
const VERIFY_FACTOR = 0.2;

/** Seconds to load, and seconds for the verification after it. */
export function estimateSeconds(rows: number, bytes: number, tables: number): { load: number; verify: number } {
  const load = Math.max(rows / ROWS_PER_SECOND, bytes / BYTES_PER_SECOND) + tables * PER_TABLE_SECONDS;
  return { load: Math.ceil(load), verify: Math.ceil(load * VERIFY_FACTOR) };
}

// Grouped by hand: toLocaleString loads ICU's data, 25 ms of every command's start.
const GROUPED_ROWS_PER_SECOND = String(ROWS_PER_SECOND).replace(/\B(?=(\d{3})+$)/g, ',');

export const ESTIMATE_BASIS = `about ${GROUPED_ROWS_PER_SECOND} rows/s or ${BYTES_PER_SECOND / 1024 / 1024} MB/s for the load, whichever is slower, and about ${VERIFY_FACTOR}x that for the verification (npm run bench, 2 cores, PostgreSQL on loopback); a remote RDS adds its network round trips`;
