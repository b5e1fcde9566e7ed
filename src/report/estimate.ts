/**
 * Throughput the estimate assumes, from `npm run bench` on the reference
 * machine (2 cores, PostgreSQL 15 on loopback). Update these when the
 * benchmark's figures change.
 */
const ROWS_PER_SECOND = 60_000;
const BYTES_PER_SECOND = 40 * 1024 * 1024;
const PER_TABLE_SECONDS = 0.05;

export function estimateSeconds(rows: number, bytes: number, tables: number): number {
  return Math.ceil(Math.max(rows / ROWS_PER_SECOND, bytes / BYTES_PER_SECOND) + tables * PER_TABLE_SECONDS);
}

export const ESTIMATE_BASIS = `about ${ROWS_PER_SECOND.toLocaleString('en-US')} rows/s or ${BYTES_PER_SECOND / 1024 / 1024} MB/s, whichever is slower (npm run bench, 2 cores, PostgreSQL on loopback); a remote RDS adds its network round trips`;
