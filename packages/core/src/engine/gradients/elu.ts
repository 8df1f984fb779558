/**
 * Gradient of `Elu`, re-registered so it is exact at every order.
 *
 * Maths: d/dx elu(x) = 1 for x > 0, exp(x) for x ≤ 0, written exp(min(x, 0)) so that no branch overflows (tfjs runs the EluGrad kernel on the saved output, which has no gradient). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Elu_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Elu`: `dx = dy · f'(x)`. */
export const eluGradConfig: tf.GradConfig = {
  kernelName: tf.Elu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.exp(tf.minimum(x, 0))); } };
  },
};
