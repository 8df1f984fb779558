/**
 * How a meta-batch is split across threads: contiguous chunks of near-equal size.
 */
import { MetaLearnError } from '@metalearn/core';

/** One chunk: tasks `start .. end - 1` of the meta-batch. */
export interface TaskChunk {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits `n` tasks into `min(n, parts)` contiguous chunks whose sizes differ by at most one, the
 * larger ones first: chunk `k` holds `floor(n / p) + (k < n mod p ? 1 : 0)` tasks, `p = min(n, parts)`.
 * A pure function of `(n, parts)`, so a run with a given number of workers always sums its
 * meta-gradient parts the same way (bitwise-reproducible, and so resumable).
 * @param n - tasks in the meta-batch, an integer >= 1.
 * @param parts - threads available, an integer >= 1.
 * @returns the chunks in task order; they cover `0 .. n - 1` exactly once.
 * @throws MetaLearnError `invalidArgument` naming a bad count.
 * @example splitContiguous(3, 2) // [{ start: 0, end: 2 }, { start: 2, end: 3 }]
 */
export function splitContiguous(n: number, parts: number): TaskChunk[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new MetaLearnError('invalidArgument', `splitContiguous: n must be an integer >= 1, got ${n}`);
  if (!(Number.isInteger(parts) && parts >= 1)) throw new MetaLearnError('invalidArgument', `splitContiguous: parts must be an integer >= 1, got ${parts}`);
  const p = Math.min(n, parts);
  const base = Math.floor(n / p);
  const extra = n % p;
  const chunks: TaskChunk[] = [];
  let start = 0;
  for (let k = 0; k < p; k++) {
    const end = start + base + (k < extra ? 1 : 0);
    chunks.push({ start, end });
    start = end;
  }
  return chunks;
}
