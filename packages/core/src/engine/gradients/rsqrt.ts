/**
 * Gradient of `Rsqrt`, re-registered so it is exact at every order.
 *
 * Maths: d/dx x^(-1/2) = -x^(-1/2) / (2x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Rsqrt_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Rsqrt`: `dx = dy · f'(x)`. */
export const rsqrtGradConfig: tf.GradConfig = {
  kernelName: tf.Rsqrt,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.div(tf.rsqrt(x), tf.mul(x, -2))); } };
  },
};
