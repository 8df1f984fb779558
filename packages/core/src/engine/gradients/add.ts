/**
 * Gradients of `Add` and `Sub` with broadcasting.
 *
 * Maths: z = a ± b ⇒ ∂L/∂a = Σ_bcast ∂L/∂z, ∂L/∂b = ±Σ_bcast ∂L/∂z (summed over the axes along
 * which each input was broadcast).
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `Add`: `da = Σ dy`, `db = Σ dy`. */
export const addGradConfig: tf.GradConfig = {
  kernelName: tf.Add,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return { a: () => reduceToShape(g, a.shape), b: () => reduceToShape(g, b.shape) };
  },
};

/** `Sub`: `da = Σ dy`, `db = -Σ dy`. */
export const subGradConfig: tf.GradConfig = {
  kernelName: tf.Sub,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    // Negated after the reduction (the same values: negation is exact), on the smaller tensor.
    return { a: () => reduceToShape(g, a.shape), b: () => tf.neg(reduceToShape(g, b.shape)) };
  },
};
