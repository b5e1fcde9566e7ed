import { DEFAULTS } from '../defaults.js';
import { shellWord } from '../util/shell-word.js';
import type { ResolvedConfig } from './load-config.js';

/**
 * The options a printed plan, migrate or verify command must carry to do what
 * this one did, each with a leading space, none left at its default: `--auto`
 * (when it mapped tables the set does not name), `--mappings`, `--schema`,
 * `--source-timezone`. Without them migrate would leave tables out, write into
 * another schema or read naive times in another zone, and verify would not
 * find the run's tables mapped or would convert the source differently.
 */
export function commandOptions(config: ResolvedConfig, opts: { readonly auto: boolean }): string {
  return [
    opts.auto ? ' --auto' : '',
    config.mappingsDir === null ? '' : ` --mappings ${shellWord(config.mappingsDir)}`,
    config.schema === DEFAULTS.schema ? '' : ` --schema ${shellWord(config.schema)}`,
    config.sourceTimezone === DEFAULTS.sourceTimezone ? '' : ` --source-timezone ${shellWord(config.sourceTimezone)}`,
  ].join('');
}
