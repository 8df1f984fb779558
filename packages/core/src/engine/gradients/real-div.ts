/**
 * Gradient of `RealDiv` with broadcasting.
 *
 * Maths: z = a/b ⇒ ∂L/∂a = Σ_bcast dy/b, ∂L/∂b = -Σ_bcast dy·a/b².
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, reduceToShape, single } from './util.js';

/** `RealDiv`: `da = Σ dy/b`, `db = -Σ dy·a/b²`. */
export const realDivGradConfig: tf.GradConfig = {
  kernelName: tf.RealDiv,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => reduceToShape(tf.div(g, asFloat(b)), a.shape),
      b: () => reduceToShape(tf.neg(tf.div(tf.mul(g, asFloat(a)), tf.square(asFloat(b)))), b.shape),
    };
  },
};
