/**
 * Gradients of `Maximum` and `Minimum` with broadcasting (tfjs's do not sum over broadcast axes,
 * and need gradients for `Less`/`Greater`/`LessEqual` at second order).
 *
 * Maths: ∂max(a, b)/∂a = [a ≥ b], ∂max(a, b)/∂b = [a < b]; ∂min(a, b)/∂a = [a ≤ b],
 * ∂min(a, b)/∂b = [a > b] (ties go to `a`, the tfjs convention). Masks are piecewise constant.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mask, reduceToShape, single } from './util.js';

/** `Maximum`: `da = Σ dy·[a ≥ b]`, `db = Σ dy·[a < b]`. */
export const maximumGradConfig: tf.GradConfig = {
  kernelName: tf.Maximum,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => reduceToShape(tf.mul(g, mask(tf.greaterEqual(a, b))), a.shape),
      b: () => reduceToShape(tf.mul(g, mask(tf.less(a, b))), b.shape),
    };
  },
};

/** `Minimum`: `da = Σ dy·[a ≤ b]`, `db = Σ dy·[a > b]`. */
export const minimumGradConfig: tf.GradConfig = {
  kernelName: tf.Minimum,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => reduceToShape(tf.mul(g, mask(tf.lessEqual(a, b))), a.shape),
      b: () => reduceToShape(tf.mul(g, mask(tf.greater(a, b))), b.shape),
    };
  },
};
