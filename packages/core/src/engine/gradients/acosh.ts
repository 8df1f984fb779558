/**
 * Gradient of `Acosh`, re-registered so it is exact at every order.
 *
 * Maths: d/dx acosh(x) = 1 / √(x² - 1). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Acosh_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Acosh`: `dx = dy · f'(x)`. */
export const acoshGradConfig: tf.GradConfig = {
  kernelName: tf.Acosh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.div(g, tf.sqrt(tf.sub(tf.square(x), 1))); } };
  },
};
