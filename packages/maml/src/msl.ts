/**
 * MAML++'s multi-step loss (MSL) weights.
 */
import { MetaLearnError } from '@metalearn/core';

/**
 * Per-step weights of the query losses after inner steps `1..K` at meta-step `e`
 * (Antoniou et al. 2018, sec. 4 "MSL"; the reference code's `get_per_step_loss_importance_vector`,
 * with epochs read as meta-steps). With `d = 1 / (K * E)` and floor `f = 0.03 / K`:
 * - steps `i < K`: `w_i = max(1/K - e d, f)`;
 * - final step: `w_K = min(1/K + e (K - 1) d, 1 - (K - 1) f)`;
 * so the weights start uniform (`1/K`), the final one grows linearly, they always sum to 1, and
 * at `e >= 0.97 E` they reach `[f, ..., f, 1 - (K-1) f]`. From `e >= E` on, MSL is switched off
 * (`[0, ..., 0, 1]`: only the final step's loss), as in the reference code.
 *
 * @param innerSteps - `K >= 1`.
 * @param annealSteps - `E >= 1`, the meta-steps over which MSL is annealed.
 * @param metaStep - `e >= 0`, the current meta-step.
 * @returns `K` weights in [0, 1] summing to 1.
 * @throws MetaLearnError `invalidArgument` on a non-integer or out-of-range argument.
 * @example multiStepLossWeights(5, 100, 0) // [0.2, 0.2, 0.2, 0.2, 0.2]
 * @see Antoniou, Edwards & Storkey 2018, "How to train your MAML", sec. 4 (multi-step loss optimization).
 */
export function multiStepLossWeights(innerSteps: number, annealSteps: number, metaStep: number): number[] {
  const fn = 'multiStepLossWeights';
  if (!(Number.isInteger(innerSteps) && innerSteps >= 1)) throw new MetaLearnError('invalidArgument', `${fn}: innerSteps must be an integer >= 1, got ${innerSteps}`);
  if (!(Number.isInteger(annealSteps) && annealSteps >= 1)) throw new MetaLearnError('invalidArgument', `${fn}: annealSteps must be an integer >= 1, got ${annealSteps}`);
  if (!(Number.isInteger(metaStep) && metaStep >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: metaStep must be an integer >= 0, got ${metaStep}`);
  const k = innerSteps;
  if (metaStep >= annealSteps) return Array.from({ length: k }, (_, i) => (i === k - 1 ? 1 : 0));
  const decay = 1 / k / annealSteps;
  const floor = 0.03 / k;
  const w = Array.from({ length: k }, () => 1 / k);
  for (let i = 0; i < k - 1; i++) w[i] = Math.max(w[i]! - metaStep * decay, floor);
  w[k - 1] = Math.min(w[k - 1]! + metaStep * (k - 1) * decay, 1 - (k - 1) * floor);
  return w;
}
