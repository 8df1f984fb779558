/**
 * Gradient of `Asin`, re-registered so it is exact at every order.
 *
 * Maths: d/dx asin(x) = 1 / √(1 - x²). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Asin_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Asin`: `dx = dy · f'(x)`. */
export const asinGradConfig: tf.GradConfig = {
  kernelName: tf.Asin,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.sqrt(tf.sub(1, tf.square(x)))); } };
  },
};
