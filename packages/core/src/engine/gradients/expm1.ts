/**
 * Gradient of `Expm1`, re-registered so it is exact at every order.
 *
 * Maths: d/dx (exp(x) - 1) = exp(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Expm1_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Expm1`: `dx = dy · f'(x)`. */
export const expm1GradConfig: tf.GradConfig = {
  kernelName: tf.Expm1,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.exp(x)); } };
  },
};
