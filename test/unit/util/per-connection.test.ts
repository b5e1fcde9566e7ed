import { describe, expect, it } from 'vitest';
import { oncePerConnection } from '../../../src/util/per-connection.js';

describe('oncePerConnection', () => {
  it('asks once per connection, each its own answer, shared by every caller of it', async () => {
    const asked: string[] = [];
    const ask = oncePerConnection((c: { name: string }) => {
      asked.push(c.name);
      return Promise.resolve(`${c.name}:${asked.length}`);
    });
    const a = { name: 'a' };
    const b = { name: 'b' };
    const answers = await Promise.all([ask(a), ask(a), ask(b), ask(a), ask(b)]);
    expect(answers).toEqual(['a:1', 'a:1', 'b:2', 'a:1', 'b:2']);
    expect(asked).toEqual(['a', 'b']);
  });
});
