/**
 * Gradient of `Atan2` with broadcasting.
 *
 * Maths: z = atan2(a, b) ⇒ ∂z/∂a = b/(a² + b²), ∂z/∂b = -a/(a² + b²).
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `Atan2`: `da = Σ dy·b/(a²+b²)`, `db = -Σ dy·a/(a²+b²)`. */
export const atan2GradConfig: tf.GradConfig = {
  kernelName: tf.Atan2,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const r2 = (): tf.Tensor => tf.add(tf.square(a), tf.square(b));
    return {
      a: () => reduceToShape(tf.div(tf.mul(g, b), r2()), a.shape),
      b: () => reduceToShape(tf.neg(tf.div(tf.mul(g, a), r2())), b.shape),
    };
  },
};
