/**
 * Gradient of `Asinh`, re-registered so it is exact at every order.
 *
 * Maths: d/dx asinh(x) = 1 / √(x² + 1). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Asinh_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Asinh`: `dx = dy · f'(x)`. */
export const asinhGradConfig: tf.GradConfig = {
  kernelName: tf.Asinh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.sqrt(tf.add(tf.square(x), 1))); } };
  },
};
