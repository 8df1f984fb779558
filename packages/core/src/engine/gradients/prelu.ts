/**
 * Gradient of `Prelu` (leaky ReLU with a learned, broadcast slope α).
 *
 * Maths: y = x for x > 0, α·x otherwise; ∂y/∂x = 1 or α, ∂y/∂α = 0 or x (summed over the axes
 * along which α was broadcast).
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `Prelu`: `dx = dy · (x > 0 ? 1 : α)`, `dα = Σ dy · (x > 0 ? 0 : x)`. */
export const preluGradConfig: tf.GradConfig = {
  kernelName: tf.Prelu,
  inputsToSave: ['x', 'alpha'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [x, alpha] = saved as [tf.Tensor, tf.Tensor];
    return {
      x: () => tf.where(tf.greater(x, 0), g, tf.mul(g, alpha)),
      alpha: () => reduceToShape(tf.where(tf.greater(x, 0), tf.zerosLike(g), tf.mul(g, x)), alpha.shape),
    };
  },
};
