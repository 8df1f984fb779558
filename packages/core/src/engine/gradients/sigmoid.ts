/**
 * Gradient of `Sigmoid`, re-registered so it is exact at every order.
 *
 * Maths: d/dx σ(x) = σ(x) (1 - σ(x)) = σ(x) σ(-x), recomputed from the input (tfjs reuses the saved output). Written with differentiable ops on the saved input only.
 * @see tfjs-core `gradients/Sigmoid_grad` (the registration it replaces)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** `Sigmoid`: `dx = dy · f'(x)`. */
export const sigmoidGradConfig: tf.GradConfig = {
  kernelName: tf.Sigmoid,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return { x: () => { const x = asFloat(saved[0]!); return tf.mul(g, tf.mul(tf.sigmoid(x), tf.sigmoid(tf.neg(x)))); } };
  },
};
