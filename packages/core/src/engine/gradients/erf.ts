/**
 * Gradient of `Erf`, re-registered so it is exact at every order.
 *
 * Maths: d/dx erf(x) = (2/√π) exp(-x²). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Erf_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Erf`: `dx = dy · f'(x)`. */
export const erfGradConfig: tf.GradConfig = {
  kernelName: tf.Erf,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI))); } };
  },
};
