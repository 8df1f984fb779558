/**
 * Gradient of `Log1p`, re-registered so it is exact at every order.
 *
 * Maths: d/dx log(1 + x) = 1 / (1 + x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Log1p_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Log1p`: `dx = dy · f'(x)`. */
export const log1pGradConfig: tf.GradConfig = {
  kernelName: tf.Log1p,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.add(x, 1)); } };
  },
};
