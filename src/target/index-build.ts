/**
 * An index build (CREATE INDEX, or ALTER TABLE … ADD PRIMARY KEY / UNIQUE),
 * sent with the parallelism it may use, in the same round trip. `alone`: no
 * other connection of the run is working, and PostgreSQL may add its parallel
 * workers (max_parallel_maintenance_workers, as the server or role sets it).
 * Otherwise the build runs in its backend alone: the run's connections
 * already build or load side by side, and parallel workers on top of them
 * only compete for the same cores. On the benchmark's 0.3M rows (two cores,
 * the server local) that saved about 1.2 s of the server's CPU and 0.4 s of
 * the load; a build that has the server to itself took 0.46 s with its
 * workers and 0.63 s without (docs/performance.md).
 */
export function indexBuildSql(sql: string, alone: boolean): string {
  return `${alone ? 'RESET max_parallel_maintenance_workers' : 'SET max_parallel_maintenance_workers = 0'}; ${sql}`;
}
