/**
 * Gradient of `Sin`, re-registered so it is exact at every order.
 *
 * Maths: d/dx sin(x) = cos(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Sin_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Sin`: `dx = dy · f'(x)`. */
export const sinGradConfig: tf.GradConfig = {
  kernelName: tf.Sin,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.cos(x)); } };
  },
};
