import { describe, expect, it } from 'vitest';
import { EXIT, fromPosted, MigrateError, postedError, SourceError, TargetError } from '../../src/errors.js';

/** What crosses a thread: postMessage sends a structured clone, which drops an Error's class and fields. */
const acrossThread = (err: unknown): Error => fromPosted(structuredClone(postedError(err)));

describe('an error a worker thread stopped on, on the thread that waits for it', () => {
  it("keeps one of the tool's codes, with its class, exit code and hint", () => {
    const err = acrossThread(
      new SourceError('SOURCE_ROWID_HIDDEN', 'table t has columns named rowid, _rowid_ and oid'),
    );
    expect(err).toBeInstanceOf(SourceError);
    expect(err).toMatchObject({
      code: 'SOURCE_ROWID_HIDDEN',
      exitCode: EXIT.REFUSED,
      message: 'table t has columns named rowid, _rowid_ and oid',
    });
    expect((err as MigrateError).hint).toMatch(/\S/);
    expect(acrossThread(new TargetError('TARGET_TABLE_WRITTEN', 'x'))).toBeInstanceOf(TargetError);
  });

  it("keeps SQLite's code on a plain Error, for sourceDamage to read", () => {
    const sqlite = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    const err = acrossThread(sqlite);
    expect(err).not.toBeInstanceOf(MigrateError);
    expect(err).toMatchObject({ code: 'SQLITE_CORRUPT', message: 'database disk image is malformed' });
    expect(acrossThread('a thrown string')).toMatchObject({ message: 'a thrown string', code: undefined });
  });
});
