import type pg from 'pg';

/*
 * A COPY of bytes already in memory, with the statements before and after it,
 * in one round trip: one simple Query message holding all the statements, the
 * CopyData and the CopyDone written right behind it, and one answer awaited.
 *
 * node-postgres waits for each query's ReadyForQuery before it sends the next,
 * and pg-copy-streams for CopyInResponse before it sends data, so a batch as
 * BEGIN, COPY, its checkpoint and COMMIT took five round trips: at 5 ms to the
 * server, 50 ms a batch. The server reads the socket in order, so it finds the
 * data where the COPY reads it. Should a statement fail (a duplicate key in
 * the COPY, say), the server skips the rest of the query string and drops any
 * CopyData or CopyDone that follows (PostgreSQL docs, "Frontend/Backend
 * Protocol", COPY Operations), so the transaction stays open, aborted, for the
 * caller's ROLLBACK, and the connection stays usable.
 */

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'

/** A query node-postgres drives through its Submittable hooks, as pg-copy-streams does. */
class OneTripCopy implements pg.Submittable {
  readonly text: string;
  readonly #payload: Uint8Array;
  readonly #done: { resolve: () => void; reject: (err: unknown) => void };
  #error: unknown = null;

  constructor(text: string, payload: Uint8Array, done: { resolve: () => void; reject: (err: unknown) => void }) {
    this.text = text;
    this.#payload = payload;
    this.#done = done;
  }

  submit(connection: pg.Connection): void {
    connection.query(this.text);
    const head = Buffer.allocUnsafe(5);
    head[0] = COPY_DATA;
    head.writeUInt32BE(this.#payload.length + 4, 1);
    connection.stream.write(head);
    connection.stream.write(this.#payload);
    connection.stream.write(Buffer.from([COPY_DONE, 0, 0, 0, 4]));
  }

  /**
   * node-postgres wraps this for its query_timeout: calling it clears the
   * timer. On a timeout it calls handleError itself.
   */
  callback(): void {}

  handleCopyInResponse(): void {}
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  handleError(err: unknown): void {
    this.callback();
    this.#error ??= err;
    // node-postgres lets go of the query at an error: no ReadyForQuery reaches it.
    this.#done.reject(err);
  }

  handleReadyForQuery(): void {
    this.callback();
    if (this.#error === null) this.#done.resolve();
  }
}

/**
 * Runs `before; COPY …; after` as one query with `payload` as the COPY's data.
 * Resolves when every statement ran; rejects with the server's error, after
 * which nothing behind the failing statement has run.
 */
export function copyInOneTrip(
  client: pg.Client,
  sql: { readonly before: string; readonly copy: string; readonly after: string },
  payload: Uint8Array,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const text = [sql.before, sql.copy, sql.after].filter((s) => s !== '').join(';\n');
    client.query(new OneTripCopy(text, payload, { resolve, reject }));
  });
}
