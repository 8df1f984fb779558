/**
 * Gradient clipping by global norm (optax's `clip_by_global_norm`, PyTorch's `clip_grad_norm_`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import { mapParams, paramNames, type Params } from '../params.js';

/** What {@link clipByGlobalNorm} returns. */
export interface ClippedGrads {
  /** The (possibly scaled) gradients: new tensors owned by the caller. */
  readonly grads: Params;
  /** The global norm `||g||` before clipping. */
  readonly norm: number;
}

/**
 * Scales all gradients together so that their global norm is at most `maxNorm`:
 * `||g|| = sqrt(sum_p sum_i g_{p,i}^2)`, `g <- g * min(1, maxNorm / ||g||)`.
 * @param grads - gradients by parameter name.
 * @param maxNorm - finite, > 0.
 * @returns new tensors and the norm before clipping.
 * @throws MetaLearnError `invalidArgument` when `maxNorm` is not a finite number > 0.
 * @throws MetaLearnError `nonFinite` when the norm is NaN or infinite.
 * @see Pascanu, Mikolov & Bengio 2013, "On the difficulty of training RNNs", Algorithm 1.
 */
export function clipByGlobalNorm(grads: Params, maxNorm: number): ClippedGrads {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new MetaLearnError('invalidArgument', `clipByGlobalNorm: maxNorm must be a finite number > 0, got ${maxNorm}`);
  }
  const names = paramNames(grads);
  let norm = 0;
  if (names.length > 0) {
    const normT = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))))));
    norm = normT.dataSync()[0]!;
    normT.dispose();
  }
  if (!Number.isFinite(norm)) throw new MetaLearnError('nonFinite', `clipByGlobalNorm: the global gradient norm is ${norm}`);
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  return { grads: mapParams(grads, (g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale))), norm };
}
