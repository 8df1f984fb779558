/**
 * Gradient of `Multiply` with broadcasting.
 *
 * Maths: z = a·b ⇒ ∂L/∂a = Σ_bcast dy·b, ∂L/∂b = Σ_bcast dy·a. Both are products of recorded
 * tensors, so the second derivative (∂²z/∂a∂b = 1) is kept.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, reduceToShape, single } from './util.js';

/** `Multiply`: `da = Σ dy·b`, `db = Σ dy·a`. */
export const multiplyGradConfig: tf.GradConfig = {
  kernelName: tf.Multiply,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => reduceToShape(tf.mul(g, asFloat(b)), a.shape),
      b: () => reduceToShape(tf.mul(g, asFloat(a)), b.shape),
    };
  },
};
