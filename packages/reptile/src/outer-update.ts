/**
 * Reptile's outer update: move the meta-parameters toward the mean of the task-adapted ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, paramNames, type Params } from '@metalearn/core';

/**
 * `theta' = theta + epsilon * ((1/n) sum_i phi_i - theta)`, per parameter (the batched Reptile
 * update; with `n = 1` the serial one). `phi_i - theta` plays the role of a gradient: for one SGD
 * inner step it is `-innerLr * ∇L_i(theta)`, so Reptile then takes a step of joint training.
 *
 * @param theta - the meta-parameters.
 * @param phis - the adapted parameters of the `n >= 1` tasks of the meta-batch, each with the
 *   names and shapes of `theta`.
 * @param epsilon - the meta step size, finite and >= 0 (0 leaves `theta` unchanged; 1 with `n = 1`
 *   replaces it by `phi_1`).
 * @returns new tensors (the caller disposes them).
 * @throws MetaLearnError `invalidArgument` when `phis` is empty, `epsilon` is negative or not
 *   finite, or a `phi_i` lacks a parameter of `theta` or has another shape.
 * @example const next = reptileUpdate(theta, [phiA, phiB], 0.5);
 * @see Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning Algorithms", Algorithm 1
 *   (serial) and Algorithm 2 (batched: `theta <- theta + epsilon (1/n) sum_i (W_i - theta)`).
 */
export function reptileUpdate(theta: Params, phis: readonly Params[], epsilon: number): Params {
  const fn = 'reptileUpdate';
  if (phis.length === 0) throw new MetaLearnError('invalidArgument', `${fn}: phis must hold at least one task's adapted parameters`);
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: epsilon must be a finite number >= 0, got ${epsilon}`);
  const names = paramNames(theta);
  phis.forEach((phi, i) => {
    for (const n of names) {
      const p = phi[n];
      if (p === undefined) throw new MetaLearnError('invalidArgument', `${fn}: phis[${i}] has no '${n}' (every parameter of theta is needed)`);
      if (!tf.util.arraysEqual(p.shape, theta[n]!.shape)) {
        throw new MetaLearnError('invalidArgument', `${fn}: phis[${i}]['${n}'] must have shape [${theta[n]!.shape.join(', ')}], got [${p.shape.join(', ')}]`);
      }
    }
  });
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) {
    out[n] = tf.tidy(() => {
      const sum = phis.length === 1 ? phis[0]![n]! : tf.addN(phis.map((phi) => phi[n]!));
      const mean = tf.div(sum, phis.length);
      return tf.add(theta[n]!, tf.mul(tf.sub(mean, theta[n]!), epsilon));
    });
  }
  return out;
}
