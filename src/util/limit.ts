/**
 * Runs at most `n` of the functions it is given at once, the others in the
 * order they came as earlier ones settle.
 */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = (): void => {
    running--;
    waiting.shift()?.();
  };
  return <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        running++;
        fn().then(resolve, reject).finally(next);
      };
      if (running < n) start();
      else waiting.push(start);
    });
}
