import { describe, expect, it } from 'vitest';
import { keyHash } from '../../../../src/tables/canonical.js';
import { hasHash, sortedHashes, targetRowKey } from '../../../../src/pipeline/verify/digest-pass.js';
import { targetKey } from '../../../../src/tables/target-key.js';

describe('verify digest pass helpers', () => {
  it('finds exactly the key hashes it was given', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `key-${i * 7}`);
    const sorted = sortedHashes(keys);
    for (const k of keys) expect(hasHash(sorted, keyHash(k))).toBe(true);
    for (let i = 0; i < 200; i++) expect(hasHash(sorted, keyHash(`other-${i}`))).toBe(false);
    expect(hasHash(sortedHashes([]), keyHash('x'))).toBe(false);
  });

  it('reads a target row key the way the ledger writes it (src/util/keys.ts)', () => {
    expect(targetRowKey(1)(['42', 'hash'])).toBe(targetKey(['42']));
    expect(targetRowKey(2)(['a', 'b', 'hash'])).toBe(targetKey(['a', 'b']));
    expect(targetRowKey(2)(['a', 'b', 'hash'])).toBe('["a","b"]');
    expect(targetRowKey(1)([null, 'hash'])).toBe('rowid:?');
  });
});
