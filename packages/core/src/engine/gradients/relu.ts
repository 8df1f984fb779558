/**
 * Gradient of `Relu`, re-registered so it is exact at every order.
 *
 * Maths: d/dx max(x, 0) = 1 for x > 0, else 0 (a piecewise-constant mask: second derivative 0). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Relu_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Relu`: `dx = dy · f'(x)`. */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.step(x)); } };
  },
};
