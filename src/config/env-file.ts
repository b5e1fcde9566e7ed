import { ConfigError } from '../errors.js';

/**
 * The files `--env-file` reads (src/config/load-config.ts merges them): the
 * KEY=VALUE file systemd's EnvironmentFile= and docker's --env-file read
 * (`/etc/aragora/env`), or a systemd drop-in whose `[Service]` section sets
 * Environment=. Pure: text in, variables out. Values hold passwords, so no
 * error names one, nor any text of the line: only the file and line number.
 */
export type EnvFileFormat = 'env' | 'systemd';

export interface EnvAssignment {
  readonly value: string;
  /** The line the assignment starts on. */
  readonly line: number;
  /**
   * A drop-in value holding a systemd specifier (`%h`, `%i`, …) that only
   * systemd can expand: the variable is known but its value is not, which is an
   * error only if the value is used (src/config/load-config.ts).
   */
  readonly unresolved: boolean;
}

export interface EnvFile {
  readonly path: string;
  readonly format: EnvFileFormat;
  /** The last assignment of each variable, as the service would see it. */
  readonly vars: ReadonlyMap<string, EnvAssignment>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function lineError(path: string, line: number, what: string): ConfigError {
  return new ConfigError('CONFIG_ENV_FILE', `${path}:${line}: ${what}`, { file: path });
}

/** A drop-in starts (after blanks and comments) with a `[Section]` header; anything else is a KEY=VALUE file. */
export function detectEnvFileFormat(text: string): EnvFileFormat {
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || l.startsWith(';')) continue;
    return l.startsWith('[') ? 'systemd' : 'env';
  }
  return 'env';
}

export function parseEnvFile(text: string, path: string): EnvFile {
  const normal = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const format = detectEnvFileFormat(normal);
  const vars = format === 'systemd' ? parseDropIn(normal, path) : parseKeyValueFile(normal, path);
  return { path, format, vars };
}

const WS = new Set([' ', '\t']);
/** What a backslash escapes inside double quotes, as in systemd's env-file parser; before anything else it stays. */
const DQ_ESCAPABLE = new Set(['"', '\\', '`', '$']);

/**
 * systemd's EnvironmentFile= syntax (its parse_env_file): `#` and `;` start a
 * comment only at the start of a line; `export ` before the name is dropped; an
 * unquoted value runs to the end of the line, trailing blanks dropped, a
 * backslash escapes the next character (at the end of a line it continues the
 * value); single quotes take everything literally; double quotes let a
 * backslash escape `"`, `\`, `` ` `` and `$`; quoted values may span lines.
 * Where systemd and a shell would read a line differently (text after a closing
 * quote, a name without `=`), the line is refused rather than guessed.
 */
function parseKeyValueFile(text: string, path: string): Map<string, EnvAssignment> {
  const vars = new Map<string, EnvAssignment>();
  let line = 1;
  let i = 0;
  const at = (): string | undefined => text[i];
  while (i < text.length) {
    // Start of a line: blanks, comment, or a name.
    while (WS.has(at() ?? '')) i++;
    const c = at();
    if (c === undefined) break;
    if (c === '\n') {
      i++;
      line++;
      continue;
    }
    const start = line;
    if (c === '#' || c === ';') {
      while (i < text.length && at() !== '\n') i++;
      continue;
    }
    let name = '';
    while (i < text.length && at() !== '=' && at() !== '\n') {
      const ch = at() as string;
      if (WS.has(ch) && name === 'export') {
        name = '';
        while (WS.has(at() ?? '')) i++;
        continue;
      }
      name += ch;
      i++;
    }
    name = name.trimEnd();
    if (at() !== '=') throw lineError(path, start, 'expected NAME=VALUE');
    if (!NAME.test(name)) throw lineError(path, start, 'the variable name is not a valid one (letters, digits and _)');
    i++;
    while (WS.has(at() ?? '')) i++;
    let value = '';
    const q = at();
    if (q === '"' || q === "'") {
      i++;
      for (;;) {
        const ch = at();
        if (ch === undefined)
          throw lineError(path, start, `the ${q === '"' ? 'double' : 'single'} quote is not closed`);
        i++;
        if (ch === q) break;
        if (ch === '\n') line++;
        if (q === '"' && ch === '\\') {
          const next = at();
          if (next === undefined) continue;
          i++;
          if (next === '\n') line++;
          else if (DQ_ESCAPABLE.has(next)) value += next;
          else value += `\\${next}`;
          continue;
        }
        value += ch;
      }
      while (WS.has(at() ?? '')) i++;
      if (i < text.length && at() !== '\n') throw lineError(path, line, 'text after the closing quote');
    } else {
      // Unquoted: trailing blanks that were not escaped are dropped.
      let kept = 0;
      while (i < text.length && at() !== '\n') {
        const ch = at() as string;
        i++;
        if (ch === '\\') {
          const next = at();
          if (next === undefined) break;
          i++;
          if (next === '\n') {
            line++;
            continue;
          }
          value += next;
          kept = value.length;
          continue;
        }
        value += ch;
        if (!WS.has(ch)) kept = value.length;
      }
      value = value.slice(0, kept);
    }
    vars.set(name, { value, line: start, unresolved: false });
  }
  return vars;
}

/**
 * A systemd unit file (its config_parse): a line ending in a backslash goes on
 * on the next one, `#` and `;` start comment lines, `[Section]` headers, and
 * `Key=Value` lines. Only Environment= in `[Service]` is read; an empty
 * Environment= clears the assignments before it, as in systemd.
 * EnvironmentFile= is not followed (pass that file with its own --env-file).
 */
function parseDropIn(text: string, path: string): Map<string, EnvAssignment> {
  let vars = new Map<string, EnvAssignment>();
  let section: string | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const start = n + 1;
    let l = (lines[n] as string).trim();
    if (l.startsWith('#') || l.startsWith(';')) continue;
    // As systemd does: the backslash becomes a blank, and comment lines inside a continued line are skipped.
    while (l.endsWith('\\') && n + 1 < lines.length) {
      n++;
      const next = (lines[n] as string).trim();
      if (next.startsWith('#') || next.startsWith(';')) continue;
      l = `${l.slice(0, -1)} ${next}`;
    }
    if (l.endsWith('\\')) l = l.slice(0, -1).trimEnd();
    if (l === '') continue;
    if (l.startsWith('[')) {
      if (!/^\[[^[\]]+\]$/.test(l)) throw lineError(path, start, 'a section header must be [Name]');
      section = l.slice(1, -1);
      continue;
    }
    const eq = l.indexOf('=');
    if (eq < 0) throw lineError(path, start, 'expected Key=Value');
    if (section !== 'Service' || l.slice(0, eq).trim() !== 'Environment') continue;
    const words = splitWords(l.slice(eq + 1), path, start);
    if (words.length === 0) {
      vars = new Map();
      continue;
    }
    for (const word of words) {
      const { text: resolved, unresolved } = expandSpecifiers(word, path, start);
      const at = resolved.indexOf('=');
      const name = at < 0 ? '' : resolved.slice(0, at);
      if (!NAME.test(name))
        throw lineError(
          path,
          start,
          'an Environment= word is not NAME=VALUE with a valid name (letters, digits and _)',
        );
      vars.set(name, { value: resolved.slice(at + 1), line: start, unresolved });
    }
  }
  return vars;
}

const C_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  s: ' ',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/**
 * The words of an Environment= value, as systemd's extract_first_word with
 * EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE splits them: blanks separate words, single
 * or double quotes may open and close anywhere in a word, and a backslash
 * starts a C escape (inside quotes too). An escape systemd does not know
 * refuses the line, as systemd does.
 */
function splitWords(value: string, path: string, line: number): string[] {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (WS.has(value[i] ?? '')) i++;
    if (i >= value.length) return words;
    let word = '';
    let quote: string | null = null;
    while (i < value.length) {
      const c = value[i] as string;
      if (quote === null && WS.has(c)) break;
      i++;
      if (c === quote) quote = null;
      else if (quote === null && (c === '"' || c === "'")) quote = c;
      else if (c === '\\') {
        const e = value[i];
        if (e === undefined) throw lineError(path, line, 'a backslash at the end of the value');
        if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
          word += String.fromCharCode(parseInt(value.slice(i + 1, i + 3), 16));
          i += 3;
          continue;
        }
        const plain = C_ESCAPES[e];
        if (plain === undefined)
          throw lineError(path, line, 'an escape systemd does not know (use \\\\ for a backslash)');
        word += plain;
        i++;
      } else word += c;
    }
    if (quote !== null) throw lineError(path, line, `the ${quote === '"' ? 'double' : 'single'} quote is not closed`);
    words.push(word);
  }
}

/** `%%` is a literal `%`; any other specifier is systemd's to expand, and marks the value unknown here. */
function expandSpecifiers(word: string, path: string, line: number): { text: string; unresolved: boolean } {
  let text = '';
  let unresolved = false;
  for (let i = 0; i < word.length; i++) {
    const c = word[i] as string;
    if (c !== '%') {
      text += c;
      continue;
    }
    const next = word[i + 1];
    if (next === undefined)
      throw lineError(path, line, 'a % at the end of an assignment (write %% for a percent sign)');
    i++;
    if (next === '%') text += '%';
    else {
      unresolved = true;
      text += `%${next}`;
    }
  }
  return { text, unresolved };
}
