/**
 * The mini-batches of Reptile's inner loop, as row indices.
 */
import { MetaLearnError, type Rng } from '@metalearn/core';

/**
 * Row indices of `numBatches` mini-batches of `batchSize` examples drawn from `n` examples, as
 * Reptile's reference code draws them (`_mini_batches`):
 * - without replacement: the examples are shuffled, taken in order `batchSize` at a time, and
 *   reshuffled whenever they run out; a batch that straddles two passes continues with the next
 *   shuffle (so with `batchSize > n` a batch holds some examples twice);
 * - with replacement: every batch is `batchSize` distinct examples drawn independently (needs
 *   `batchSize <= n`).
 * @param n - number of examples, an integer >= 1.
 * @param batchSize - examples per batch, an integer >= 1.
 * @param numBatches - number of batches, an integer >= 0.
 * @param replacement - draw every batch independently.
 * @param rng - the random source (consumed).
 * @returns `numBatches` arrays of `batchSize` indices in `[0, n)`.
 * @throws MetaLearnError `invalidArgument` on bad sizes, naming them.
 * @example miniBatchIndices(4, 3, 2, false, createRng(0)) // e.g. [[2, 0, 3], [1, 3, 0]]
 * @see Nichol, Achiam & Schulman 2018, Algorithm 2 (mini-batch inner loop); openai/supervised-reptile,
 *   `reptile.py` (`_mini_batches`).
 */
export function miniBatchIndices(n: number, batchSize: number, numBatches: number, replacement: boolean, rng: Rng): number[][] {
  const fn = 'miniBatchIndices';
  if (!(Number.isInteger(n) && n >= 1)) throw new MetaLearnError('invalidArgument', `${fn}: n must be an integer >= 1, got ${n}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new MetaLearnError('invalidArgument', `${fn}: batchSize must be an integer >= 1, got ${batchSize}`);
  if (!(Number.isInteger(numBatches) && numBatches >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: numBatches must be an integer >= 0, got ${numBatches}`);
  const all = Array.from({ length: n }, (_, i) => i);
  if (replacement) {
    if (batchSize > n) throw new MetaLearnError('invalidArgument', `${fn}: batchSize (${batchSize}) must be <= n (${n}) with replacement (each batch holds distinct examples)`);
    return Array.from({ length: numBatches }, () => rng.sample(all, batchSize));
  }
  const batches: number[][] = [];
  let current: number[] = [];
  while (batches.length < numBatches) {
    for (const i of rng.shuffle(all)) {
      current.push(i);
      if (current.length < batchSize) continue;
      batches.push(current);
      current = [];
      if (batches.length === numBatches) break;
    }
  }
  return batches;
}
