import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/*
 * V8 frees a Buffer or a string only at its next collection, which it starts
 * by its own measure of memory: a huge value read in 8 MiB slices
 * (src/source/huge-value.ts) left tens of MB of slices behind it while SQLite
 * assembled the value again for the next one. The flag gives a new context a
 * `gc` function, as Jest's leak detector does; it runs a full collection of
 * this thread's heap. Measured on the benchmark's 50 MB values: peak RSS
 * 356 MiB without it, 272 with it, for 0.5 s more in all. It is set on first
 * use, so a process that never reads a huge value is left as it was.
 */
let gc: (() => void) | null | undefined;

/** A full collection of this thread's heap, where it can be had; nothing otherwise. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = (runInNewContext('gc') as (() => void) | undefined) ?? null;
  }
  gc?.();
}
