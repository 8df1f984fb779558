/**
 * Gradient of `Tan`, re-registered so it is exact at every order.
 *
 * Maths: d/dx tan(x) = 1 / cos²(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Tan_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Tan`: `dx = dy · f'(x)`. */
export const tanGradConfig: tf.GradConfig = {
  kernelName: tf.Tan,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.square(tf.cos(x))); } };
  },
};
