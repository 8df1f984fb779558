/**
 * Gradient of `Log`, re-registered so it is exact at every order.
 *
 * Maths: d/dx log(x) = 1 / x. Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Log_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Log`: `dx = dy · f'(x)`. */
export const logGradConfig: tf.GradConfig = {
  kernelName: tf.Log,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, x); } };
  },
};
