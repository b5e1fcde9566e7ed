/**
 * What the pipeline tells the outside while it works. Only src/cli/render turns
 * these into progress bars or log lines; the pipeline never prints.
 */
export interface PipelineEventMap {
  /**
   * A phase of the command starts (`profiling`, `loading`, `verifying`), with
   * the rows it has to go through in all, so progress can show one overall bar
   * and an ETA for the phase.
   */
  phase: { readonly phase: string; readonly rows: number };
  /** migrate holds its run in the ledger (new, or resumed): what stops now stops this run. */
  run: { readonly runId: string; readonly resumed: boolean };
  /** A table starts being read; `rows` is the source row count. */
  'table:start': { readonly file: string; readonly table: string; readonly rows: number };
  /** Progress within a table: rows done so far. */
  'table:rows': { readonly file: string; readonly table: string; readonly done: number; readonly bytes: number };
  /** A table is finished. */
  'table:done': { readonly file: string; readonly table: string; readonly rows: number; readonly ms: number };
  /** Something an operator should read now, not only in the final report. */
  warn: { readonly message: string };
}

export interface Reporter {
  emit<K extends keyof PipelineEventMap>(event: K, payload: PipelineEventMap[K]): void;
}

export const silentReporter: Reporter = { emit: () => undefined };
