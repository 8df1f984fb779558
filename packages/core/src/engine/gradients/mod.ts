/**
 * Gradient of `Mod` (floored modulo) with broadcasting.
 *
 * Maths: a mod b = a - b·floor(a/b) ⇒ ∂/∂a = 1, ∂/∂b = -floor(a/b) (almost everywhere).
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `Mod`: `da = Σ dy`, `db = -Σ dy·floor(a/b)`. */
export const modGradConfig: tf.GradConfig = {
  kernelName: tf.Mod,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => reduceToShape(g, a.shape),
      b: () => reduceToShape(tf.neg(tf.mul(g, tf.floor(tf.div(a, b)))), b.shape),
    };
  },
};
