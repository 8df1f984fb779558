/**
 * Gradient of `SquaredDifference` with broadcasting.
 *
 * Maths: z = (a - b)² ⇒ ∂L/∂a = Σ_bcast 2·dy·(a - b), ∂L/∂b = -Σ_bcast 2·dy·(a - b).
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `SquaredDifference`: `da = Σ 2 dy (a - b)`, `db = -Σ 2 dy (a - b)`. */
export const squaredDifferenceGradConfig: tf.GradConfig = {
  kernelName: tf.SquaredDifference,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => reduceToShape(tf.mul(tf.mul(g, 2), tf.sub(a, b)), a.shape),
      b: () => reduceToShape(tf.mul(tf.mul(g, -2), tf.sub(a, b)), b.shape),
    };
  },
};
