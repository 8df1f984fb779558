/**
 * Gradient of `Atanh`, re-registered so it is exact at every order.
 *
 * Maths: d/dx atanh(x) = 1 / (1 - x²). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Atanh_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Atanh`: `dx = dy · f'(x)`. */
export const atanhGradConfig: tf.GradConfig = {
  kernelName: tf.Atanh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.sub(1, tf.square(x))); } };
  },
};
