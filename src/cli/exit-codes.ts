export { EXIT } from '../errors.js';

/** The table printed under every command's --help. */
export const EXIT_CODE_HELP = `
Exit codes (the same for every command):
  0  done
  1  unexpected failure (a bug: please report it with the output)
  2  usage or configuration error
  3  finished, but some rows were rejected (see the reject files / findings)
  4  verification found differences
  5  refused by a preflight (blocking findings, source file in use, lock held, unverified archive)
  130 interrupted (Ctrl-C); every committed batch is kept: run the same command to resume
`;
