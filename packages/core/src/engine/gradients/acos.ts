/**
 * Gradient of `Acos`, re-registered so it is exact at every order.
 *
 * Maths: d/dx acos(x) = -1 / √(1 - x²). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Acos_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Acos`: `dx = dy · f'(x)`. */
export const acosGradConfig: tf.GradConfig = {
  kernelName: tf.Acos,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.neg(tf.div(g, tf.sqrt(tf.sub(1, tf.square(x))))); } };
  },
};
