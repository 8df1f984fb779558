/**
 * Gradient of `Square`, re-registered so it is exact at every order.
 *
 * Maths: d/dx x² = 2x. Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Square_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Square`: `dx = dy · f'(x)`. */
export const squareGradConfig: tf.GradConfig = {
  kernelName: tf.Square,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.mul(x, 2)); } };
  },
};
