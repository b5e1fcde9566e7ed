import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A worker's script: compiled JavaScript next to this file, or, when running
 * from TypeScript sources (tests, tsx), the .ts file behind a bootstrap that
 * registers tsx first (Node 20 loads a worker's main script before any
 * `--import` in its execArgv takes effect).
 */
export function workerScript(name: string): { script: string | URL; eval: boolean } {
  const js = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return { script: js, eval: false };
  const ts = new URL(`./${name}.ts`, import.meta.url).href;
  return {
    script: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); })`,
    eval: true,
  };
}
