// Types for eslint/layers.js (plain JS so eslint.config.js loads it without a TypeScript loader), for the tests.
import type { Rule } from 'eslint';

export declare const LAYERS: Readonly<Record<string, number>>;
export declare function layerOf(file: string, srcRoot: string): string | null;
export declare function violation(
  from: string,
  to: string,
): null | 'higherLayer' | 'sameLayer' | 'cliOnlyIndex' | 'unknownImporter' | 'unknownTarget';
export declare const rule: Rule.RuleModule;
export default rule;
