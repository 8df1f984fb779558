/**
 * Gradient of `LeakyRelu`, re-registered (tfjs's needs a gradient for `Greater` at second order).
 *
 * Maths: d/dx leakyRelu(x) = 1 for x > 0, α for x ≤ 0 (piecewise constant: second derivative 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `LeakyRelu`: `dx = dy · (x > 0 ? 1 : α)`. */
export const leakyReluGradConfig: tf.GradConfig = {
  kernelName: tf.LeakyRelu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const g = single(dy);
    const alpha = attrs['alpha'] as number;
    return { x: () => tf.where(tf.greater(asFloat(saved[0]!), 0), g, tf.mul(g, alpha)) };
  },
};
