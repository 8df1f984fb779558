/**
 * Gradient of `Sqrt`, re-registered so it is exact at every order.
 *
 * Maths: d/dx √x = 1 / (2 √x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Sqrt_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Sqrt`: `dx = dy · f'(x)`. */
export const sqrtGradConfig: tf.GradConfig = {
  kernelName: tf.Sqrt,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.mul(tf.sqrt(x), 2)); } };
  },
};
