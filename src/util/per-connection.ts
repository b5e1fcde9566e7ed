/**
 * `ask`, asked once per connection (any object standing for one): what a
 * server cannot change under an open connection, such as its encoding or the
 * compression methods it was built with, costs one round trip per
 * connection instead of one per table or batch.
 */
export function oncePerConnection<C extends object, T>(
  ask: (connection: C) => Promise<T>,
): (connection: C) => Promise<T> {
  const asked = new WeakMap<C, Promise<T>>();
  return (connection) => {
    let answer = asked.get(connection);
    if (answer === undefined) {
      answer = ask(connection);
      asked.set(connection, answer);
    }
    return answer;
  };
}
