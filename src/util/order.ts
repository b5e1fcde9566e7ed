/**
 * `items` with each one after the items it depends on, otherwise in their own
 * order (a stable depth-first order). A dependency on an item not in the list
 * is ignored, and so is the edge that closes a cycle: items that depend on
 * each other in a circle keep their own order.
 */
export function dependenciesFirst<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  dependsOn: (item: T) => Iterable<string>,
): T[] {
  const byKey = new Map(items.map((i) => [keyOf(i), i] as const));
  const out: T[] = [];
  const placed = new Set<string>();
  const place = (item: T, path: ReadonlySet<string>): void => {
    const key = keyOf(item);
    if (placed.has(key) || path.has(key)) return;
    for (const d of dependsOn(item)) {
      const dep = byKey.get(d);
      if (dep !== undefined) place(dep, new Set([...path, key]));
    }
    placed.add(key);
    out.push(item);
  };
  for (const item of items) place(item, new Set());
  return out;
}
