/**
 * Gradient of `Relu6`, re-registered so it is exact at every order.
 *
 * Maths: d/dx min(max(x, 0), 6) = 1 for 0 < x ≤ 6, else 0 (the tfjs convention at the kinks). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Relu6_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, mask, single } from './util.js';

/** `Relu6`: `dx = dy · f'(x)`. */
export const relu6GradConfig: tf.GradConfig = {
  kernelName: tf.Relu6,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.mul(tf.step(x), mask(tf.lessEqual(x, 6)))); } };
  },
};
