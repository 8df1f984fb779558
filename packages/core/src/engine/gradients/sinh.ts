/**
 * Gradient of `Sinh`, re-registered so it is exact at every order.
 *
 * Maths: d/dx sinh(x) = cosh(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Sinh_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Sinh`: `dx = dy · f'(x)`. */
export const sinhGradConfig: tf.GradConfig = {
  kernelName: tf.Sinh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.cosh(x)); } };
  },
};
