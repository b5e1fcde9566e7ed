/** A byte count for people: `512 B`, `1.5 KB`, `340 MB`. Used by reports and by messages of the core (plan's widening finding). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u] ?? 'TB'}`;
}
