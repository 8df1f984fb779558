/**
 * Gradient of `Selu`, re-registered so it is exact at every order.
 *
 * Maths: selu(x) = λx for x > 0, λα(exp(x) - 1) for x ≤ 0, so
 * d/dx selu(x) = λ for x > 0, λα·exp(x) for x ≤ 0, written λ·where(x > 0, 1, α·exp(min(x, 0)))
 * so that the unused branch never overflows (tfjs's `where(x > 0, λ·dy, λα·dy·exp(x))` turns
 * into 0·∞ = NaN in the second derivative for x > 88).
 * @see Klambauer et al. 2017, "Self-Normalizing Neural Networks", eq. 2
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, single } from './util.js';

/** λ and α of SELU (the constants tfjs's Selu kernels use). */
export const SELU_SCALE = 1.0507009873554804934193349852946;
export const SELU_ALPHA = 1.6732632423543772848170429916717;

/** `Selu`: `dx = dy · λ · (x > 0 ? 1 : α exp(x))`. */
export const seluGradConfig: tf.GradConfig = {
  kernelName: tf.Selu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return {
      x: () => {
        const x = asFloat(saved[0]!);
        const negative = tf.mul(tf.exp(tf.minimum(x, 0)), SELU_ALPHA);
        return tf.mul(tf.mul(g, SELU_SCALE), tf.where(tf.greater(x, 0), tf.onesLike(x), negative));
      },
    };
  },
};
