/**
 * Gradient of `Exp`, re-registered so it is exact at every order.
 *
 * Maths: d/dx exp(x) = exp(x), recomputed from the input (tfjs reuses the saved output, which drops the second-order path). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Exp_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Exp`: `dx = dy · f'(x)`. */
export const expGradConfig: tf.GradConfig = {
  kernelName: tf.Exp,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.exp(x)); } };
  },
};
