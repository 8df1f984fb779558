/**
 * Gradient of `Tanh`, re-registered so it is exact at every order.
 *
 * Maths: d/dx tanh(x) = 1 - tanh(x)², with tanh(x) recomputed from the input (tfjs reuses the saved output). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Tanh_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Tanh`: `dx = dy · f'(x)`. */
export const tanhGradConfig: tf.GradConfig = {
  kernelName: tf.Tanh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.sub(1, tf.square(tf.tanh(x)))); } };
  },
};
