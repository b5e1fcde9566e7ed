import { describe, expect, it } from 'vitest';
import { MigrateError, TargetError } from '../../../src/errors.js';
import { serverFault } from '../../../src/target/server-fault.js';

/** An error as node-postgres raises it for a server's ErrorResponse: the SQLSTATE in `code`. */
const fromServer = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('an error the server raised for reasons of its own', () => {
  it.each([
    ['42501', 'permission denied for schema public', 'TARGET_PERMISSION_DENIED'],
    ['25006', 'cannot execute CREATE TABLE in a read-only transaction', 'TARGET_READ_ONLY'],
    ['53100', 'could not extend file "base/16384/16385": No space left on device', 'TARGET_OUT_OF_RESOURCES'],
    ['53200', 'out of memory', 'TARGET_OUT_OF_RESOURCES'],
    [
      '54000',
      'index row size 8016 exceeds btree version 4 maximum 2704 for index "notes_body_idx"',
      'TARGET_LIMIT_EXCEEDED',
    ],
    ['40P01', 'deadlock detected', 'TARGET_TRANSACTION_CONFLICT'],
    [
      '40001',
      'could not serialize access due to read/write dependencies among transactions',
      'TARGET_TRANSACTION_CONFLICT',
    ],
    ['57014', 'canceling statement due to user request', 'TARGET_STATEMENT_CANCELED'],
    ['55P03', 'canceling statement due to lock timeout', 'TARGET_STATEMENT_CANCELED'],
    ['57P01', 'terminating connection due to administrator command', 'TARGET_CONNECTION_LOST'],
    ['23514', 'new row for relation "t" violates check constraint "t_n_check"', 'TARGET_CONSTRAINT'],
    ['23503', 'insert or update on table "t" violates foreign key constraint "t_n_fkey"', 'TARGET_CONSTRAINT'],
    ['P0001', 'notes are read-only during the freeze', 'TARGET_CONSTRAINT'],
  ])('SQLSTATE %s (%s) is %s, with the server’s words, exit 5', (sqlstate, message, code) => {
    const err = serverFault(fromServer(sqlstate, message));
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ code, exitCode: 5 });
    expect(err?.message).toContain(message);
    expect((err as MigrateError).hint).toMatch(/\S/);
  });

  it('leaves the errors of a value, and the tool’s own, to their callers', () => {
    expect(serverFault(fromServer('22P02', 'invalid input syntax for type integer'))).toBeNull();
    expect(serverFault(new TargetError('TARGET_SCHEMA_MISSING', 'no schema'))).toBeNull();
    expect(serverFault(new Error('something else'))).toBeNull();
  });
});
