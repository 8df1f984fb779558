/**
 * Gradient of `Cosh`, re-registered so it is exact at every order.
 *
 * Maths: d/dx cosh(x) = sinh(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Cosh_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Cosh`: `dx = dy · f'(x)`. */
export const coshGradConfig: tf.GradConfig = {
  kernelName: tf.Cosh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.sinh(x)); } };
  },
};
