/**
 * Gradient of `Abs`, re-registered so it is exact at every order.
 *
 * Maths: d/dx |x| = sign(x) (0 at x = 0, as TensorFlow and PyTorch; tfjs uses -1 there). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Abs_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Abs`: `dx = dy · f'(x)`. */
export const absGradConfig: tf.GradConfig = {
  kernelName: tf.Abs,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.sign(x)); } };
  },
};
