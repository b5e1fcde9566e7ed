/** A small seeded generator (mulberry32), so a failure reproduces: numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters COPY escapes, ASCII, Latin-1, BMP, a surrogate pair, lone surrogates of both halves, NUL. */
const ALPHABET = ['a', 'Z', ' ', '0', '\t', '\n', '\r', '\\', 'é', 'ÿ', '€', '中', '😀', '\uD800', '\uDC00', '\u0000'];

/** `length` UTF-16 units, a share `plain` of them `a`, the rest drawn from ALPHABET (a pair may be cut at the end). */
export function randomText(r: () => number, length: number, plain = 0.7): string {
  const parts: string[] = [];
  for (let n = 0; n < length;) {
    const ch = r() < plain ? 'a' : (ALPHABET[Math.floor(r() * ALPHABET.length)] as string);
    parts.push(ch);
    n += ch.length;
  }
  return parts.join('').slice(0, length);
}

export function randomBytes(r: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(r() * 256);
  return b;
}
