import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { maskDsn, parseDsn } from '../../../src/config/dsn.js';
import { isKeyValueDsn, parseKeyValueDsn } from '../../../src/config/dsn-keyvalue.js';

/** What node-postgres makes of a parsed DSN: the proof the URL it is given means the same settings. */
function pgSees(dsn: string): Record<string, unknown> {
  const { connectionString } = parseDsn(dsn);
  const c = new pg.Client({ connectionString }) as unknown as Record<string, unknown> & {
    connectionParameters: Record<string, unknown>;
  };
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    application_name: c.connectionParameters.application_name,
    options: c.connectionParameters.options,
  };
}

describe('isKeyValueDsn', () => {
  it('takes what starts with a scheme for a URL, anything else with an = for key=value', () => {
    expect(isKeyValueDsn('host=db dbname=app')).toBe(true);
    expect(isKeyValueDsn('  dbname = app')).toBe(true);
    expect(isKeyValueDsn('postgresql://h/db?sslmode=require')).toBe(false);
    expect(isKeyValueDsn('mysql://h/x?a=b')).toBe(false);
    expect(isKeyValueDsn('nonsense')).toBe(false);
  });
});

describe('parseKeyValueDsn', () => {
  it("reads libpq settings: blanks around =, quoted values with \\' and \\\\, backslashes unquoted, later wins", () => {
    const s = parseKeyValueDsn(`host = db  dbname=app password='a b\\'c\\\\d' user=x\\ y user=z options=''`);
    expect([...s]).toEqual([
      ['host', 'db'],
      ['dbname', 'app'],
      ['password', "a b'c\\d"],
      ['user', 'z'],
      ['options', ''],
    ]);
  });

  it('refuses an unknown keyword, naming the one meant but nothing of the string', () => {
    expect(() => parseKeyValueDsn('host=db dbanme=app password=s3cret')).toThrow(/setting 2 \(did you mean dbname\?\)/);
    expect(() => parseKeyValueDsn('host=db password=s3cret x3cret=1')).toThrow(/unknown keyword in setting 3$/);
  });

  it('refuses a setting without = and an unterminated quote without quoting the string', () => {
    for (const bad of ['host=db password=two words', "host=db password='s3cret"]) {
      let message = '';
      try {
        parseKeyValueDsn(bad);
      } catch (err: unknown) {
        message = (err as Error).message;
        expect((err as { code?: string }).code).toBe('CONFIG_DSN_INVALID');
      }
      expect(message).not.toBe('');
      expect(message).not.toMatch(/words|s3cret/);
    }
  });
});

describe('parseDsn with a key=value DSN', () => {
  it('connects node-postgres to the same host, port, database, user and password', () => {
    expect(pgSees('host=db.example.com port=6432 dbname=app user=aragora password=s3cret')).toMatchObject({
      host: 'db.example.com',
      port: 6432,
      user: 'aragora',
      password: 's3cret',
      database: 'app',
    });
    expect(
      pgSees(
        `host=/var/run/postgresql dbname=app user=aragora password='p%40 @:/?#&=+\\'x' application_name='my app' options='-c statement_timeout=0'`,
      ),
    ).toMatchObject({
      host: '/var/run/postgresql',
      user: 'aragora',
      password: "p%40 @:/?#&=+'x",
      database: 'app',
      application_name: 'my app',
      options: '-c statement_timeout=0',
    });
    expect(pgSees('host=::1 port=5433 dbname=x')).toMatchObject({ host: '::1', port: 5433, database: 'x' });
    expect(pgSees('hostaddr=10.0.0.5 dbname=x')).toMatchObject({ host: '10.0.0.5', database: 'x' });
  });

  it('keeps sslmode as libpq means it', () => {
    const req = parseDsn('host=db dbname=app sslmode=require');
    expect(req.sslMode).toBe('require');
    expect(req.ssl).toEqual({ rejectUnauthorized: false });
    expect(req.connectionString).not.toContain('sslmode');
    const full = parseDsn('host=db dbname=app sslmode=verify-full sslrootcert=system');
    expect(full.ssl).toEqual({ rejectUnauthorized: true });
    expect(parseDsn('host=db').sslMode).toBe('prefer');
    expect(() => parseDsn('host=db sslmode=sometimes')).toThrow(/unknown sslmode/);
  });

  it('shows it in its own form, the password never', () => {
    const d = parseDsn(`host=db dbname=app user=aragora password='s3 cret' sslmode=require`);
    expect(d.display).toBe('host=db dbname=app user=aragora password=*** sslmode=require');
    expect(maskDsn(`host=db password='s3 cret' user='a b'`)).toBe(`host=db password=*** user='a b'`);
    expect(maskDsn('host=db sslpassword=s3cret')).not.toContain('s3cret');
    // Unparseable, it is masked all the same.
    expect(maskDsn(`host=db password='s3 cret`)).not.toContain('cret');
    expect(maskDsn('host=db password=s3cret bogus')).not.toContain('s3cret');
  });

  it('refuses a port that is not one, and a database name node-postgres would misread', () => {
    expect(() => parseDsn('host=db port=fivefour')).toThrow(/port/);
    expect(() => parseDsn('host=db dbname=a/b')).toThrow(/database/);
  });
});
