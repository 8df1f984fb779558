/**
 * Gradient of `Reciprocal`, re-registered so it is exact at every order.
 *
 * Maths: d/dx (1/x) = -1/x². Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Reciprocal_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Reciprocal`: `dx = dy · f'(x)`. */
export const reciprocalGradConfig: tf.GradConfig = {
  kernelName: tf.Reciprocal,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.neg(tf.div(g, tf.square(x))); } };
  },
};
