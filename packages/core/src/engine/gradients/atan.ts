/**
 * Gradient of `Atan`, re-registered so it is exact at every order.
 *
 * Maths: d/dx atan(x) = 1 / (1 + x²). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Atan_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Atan`: `dx = dy · f'(x)`. */
export const atanGradConfig: tf.GradConfig = {
  kernelName: tf.Atan,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.add(tf.square(x), 1)); } };
  },
};
