/**
 * Gradient of `Cos`, re-registered so it is exact at every order.
 *
 * Maths: d/dx cos(x) = -sin(x). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Cos_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Cos`: `dx = dy · f'(x)`. */
export const cosGradConfig: tf.GradConfig = {
  kernelName: tf.Cos,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.neg(tf.mul(g, tf.sin(x))); } };
  },
};
