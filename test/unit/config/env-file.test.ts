import { describe, expect, it } from 'vitest';
import { detectEnvFileFormat, parseEnvFile } from '../../../src/config/env-file.js';
import { ConfigError } from '../../../src/errors.js';

const vars = (text: string): Record<string, string> =>
  Object.fromEntries([...parseEnvFile(text, '/etc/aragora/env').vars].map(([k, v]) => [k, v.value]));

function refusal(text: string): ConfigError {
  try {
    parseEnvFile(text, '/etc/aragora/env');
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('detectEnvFileFormat', () => {
  it('takes a file whose first line that says anything is a [Section] header for a drop-in', () => {
    expect(detectEnvFileFormat('# drop-in\n\n[Service]\nEnvironment=A=1\n')).toBe('systemd');
    expect(detectEnvFileFormat('# env\nA=1\n[Service]\n')).toBe('env');
    expect(detectEnvFileFormat('')).toBe('env');
  });
});

describe('parseEnvFile: KEY=VALUE files', () => {
  it('reads names and values, skipping comments and blank lines', () => {
    const text = [
      '# Aragora',
      '; also a comment',
      '',
      'ARAGORA_DATA_DIR=/var/lib/aragora',
      '  export DATABASE_URL=postgresql://app:pw@db/app',
      'SPACED = value with blanks   ',
      'HASH=a#b',
    ].join('\n');
    expect(vars(text)).toEqual({
      ARAGORA_DATA_DIR: '/var/lib/aragora',
      DATABASE_URL: 'postgresql://app:pw@db/app',
      SPACED: 'value with blanks',
      HASH: 'a#b',
    });
  });

  it('strips single and double quotes, blanks after them allowed', () => {
    expect(vars(`A='one two'  \nB="x"\n`)).toEqual({ A: 'one two', B: 'x' });
  });

  it('reads quoted values: single quotes literally, double quotes with \\ escapes of " \\ ` $', () => {
    const text = [`S='p@ss "w" \\n'`, `D="p@ss \\"w\\" \\\\ \\$x \\n"`, `E=""`, `F=`].join('\n');
    expect(vars(text)).toEqual({ S: 'p@ss "w" \\n', D: 'p@ss "w" \\ $x \\n', E: '', F: '' });
  });

  it('lets a backslash escape the next character of an unquoted value, and continue it on the next line', () => {
    expect(vars('A=a\\ b\\\\c\nB=one\\\ntwo\nC=x\\ \n')).toEqual({ A: 'a b\\c', B: 'onetwo', C: 'x ' });
  });

  it('takes a quoted value across lines, and counts lines after it', () => {
    const f = parseEnvFile('A="one\ntwo"\nB=3\n', 'f');
    expect(f.vars.get('A')).toEqual({ value: 'one\ntwo', line: 1, unresolved: false });
    expect(f.vars.get('B')?.line).toBe(3);
  });

  it('lets the last assignment win, and reads CRLF files and a BOM', () => {
    expect(vars('\uFEFFA=1\r\nA=2\r\nB=3\r\n')).toEqual({ A: '2', B: '3' });
  });

  it('refuses what it cannot read, naming file and line, never the value', () => {
    const cases: [string, number, RegExp][] = [
      ['A=1\nsecret-without-equals\n', 2, /expected NAME=VALUE/],
      ['A=1\n\n9BAD=secret\n', 3, /not a valid one/],
      ['A=1\nB="secret\n', 2, /double quote is not closed/],
      ["A='secret\n", 1, /single quote is not closed/],
      ['A="secret" trailing\n', 1, /text after the closing quote/],
    ];
    for (const [text, line, what] of cases) {
      const err = refusal(text);
      expect(err.code).toBe('CONFIG_ENV_FILE');
      expect(err.message).toMatch(new RegExp(`^/etc/aragora/env:${line}: `));
      expect(err.message).toMatch(what);
      expect(err.message).not.toContain('secret');
      expect(err.file).toBe('/etc/aragora/env');
    }
  });
});

describe('parseEnvFile: systemd drop-ins', () => {
  const dropIn = (service: string): string =>
    `# /etc/systemd/system/aragora.service.d/db.conf\n[Unit]\nEnvironment=IGNORED=1\n\n[Service]\n${service}\n`;

  it('reads Environment= in [Service], quoted or not, several to a line, other keys and sections ignored', () => {
    const text = dropIn(
      [
        'Environment="DATABASE_URL=postgresql://app:pw@db/app?sslmode=require"',
        'Environment=ARAGORA_DATA_DIR=/var/lib/aragora',
        'Environment="A=1" "B=two words" C=3',
        'EnvironmentFile=/etc/aragora/env',
        'ExecStart=/usr/bin/aragora',
      ].join('\n'),
    );
    const f = parseEnvFile(text, 'db.conf');
    expect(f.format).toBe('systemd');
    expect(Object.fromEntries([...f.vars].map(([k, v]) => [k, v.value]))).toEqual({
      DATABASE_URL: 'postgresql://app:pw@db/app?sslmode=require',
      ARAGORA_DATA_DIR: '/var/lib/aragora',
      A: '1',
      B: 'two words',
      C: '3',
    });
    expect(f.vars.get('A')?.line).toBe(8);
  });

  it('unquotes and unescapes as systemd does: quotes inside a word, C escapes, %% for %', () => {
    expect(vars(dropIn(`Environment=A="x y"z 'B=\\x41\\t' "P=p%%40ss\\"q"`))).toEqual({
      A: 'x yz',
      B: 'A\t',
      P: 'p%40ss"q',
    });
  });

  it('joins a line ending in a backslash with the next, skipping comment lines between', () => {
    expect(vars(dropIn('Environment=A=1 \\\n# comment\n  B=2'))).toEqual({ A: '1', B: '2' });
  });

  it('clears the assignments before an empty Environment=, as systemd does', () => {
    expect(vars(dropIn('Environment=A=1\nEnvironment=\nEnvironment=B=2'))).toEqual({ B: '2' });
  });

  it('marks a value with a specifier only systemd can expand, without refusing the file', () => {
    const f = parseEnvFile(dropIn('Environment=HOME_DIR=%h/x OK=1'), 'db.conf');
    expect(f.vars.get('HOME_DIR')?.unresolved).toBe(true);
    expect(f.vars.get('OK')?.unresolved).toBe(false);
  });

  it('refuses what it cannot read, naming file and line, never the value', () => {
    const cases: [string, number, RegExp][] = [
      [dropIn('Environment="DATABASE_URL=secret'), 6, /double quote is not closed/],
      [dropIn('Environment=secret'), 6, /not NAME=VALUE/],
      [dropIn('Environment=A=secret\\q'), 6, /escape systemd does not know/],
      [dropIn('Environment=A=secret%'), 6, /% at the end/],
      [dropIn('secret line without equals'), 6, /expected Key=Value/],
      ['[Service\nEnvironment=A=secret\n', 1, /section header/],
    ];
    for (const [text, line, what] of cases) {
      const err = refusal(text);
      expect(err.code).toBe('CONFIG_ENV_FILE');
      expect(err.message).toMatch(new RegExp(`^/etc/aragora/env:${line}: `));
      expect(err.message).toMatch(what);
      expect(err.message).not.toContain('secret');
    }
  });
});
