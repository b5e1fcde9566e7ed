import { createInterface } from 'node:readline';

/** Whether a question can be asked: someone at a terminal reads the output and types the input. */
export function canAsk(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): boolean {
  return input.isTTY === true && output.isTTY === true;
}

/**
 * Asks a yes/no question on the terminal. Only y or yes (any case) is a yes:
 * an empty line, anything else, the end of the input (Ctrl-D) and Ctrl-C are a no.
 */
export function confirm(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stdout,
): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    let answered = false;
    const answer = (yes: boolean): void => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.on('SIGINT', () => {
      output.write('\n');
      answer(false);
    });
    rl.on('close', () => answer(false));
    rl.question(question, (line) => answer(/^(y|yes)$/i.test(line.trim())));
  });
}
