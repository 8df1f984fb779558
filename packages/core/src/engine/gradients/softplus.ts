/**
 * Gradient of `Softplus`, re-registered so it is exact at every order.
 *
 * Maths: d/dx log(1 + exp(x)) = σ(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Softplus_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Softplus`: `dx = dy · f'(x)`. */
export const softplusGradConfig: tf.GradConfig = {
  kernelName: tf.Softplus,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.sigmoid(x)); } };
  },
};
