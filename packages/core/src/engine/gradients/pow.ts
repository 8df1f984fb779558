/**
 * Gradient of `Pow`, re-registered so both sides are exact at every order.
 *
 * Maths: z = a^b ⇒ ∂z/∂a = b·a^(b-1), ∂z/∂b = a^b·log(a) (taken as 0 for a ≤ 0, as tfjs).
 * tfjs multiplies the exponent side by the saved *output*, which drops its second-order path;
 * here a^b is recomputed from the inputs, and log(a) is guarded by a double `where`
 * (log(where(a > 0, a, 1))) so that no NaN reaches the second derivative at a ≤ 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, reduceToShape, single } from './util.js';

/** `Pow`: `da = Σ dy·b·a^(b-1)`, `db = Σ dy·a^b·log(a)`. */
export const powGradConfig: tf.GradConfig = {
  kernelName: tf.Pow,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => {
        const bf = asFloat(b);
        return reduceToShape(tf.mul(g, tf.mul(bf, tf.pow(asFloat(a), tf.sub(bf, 1)))), a.shape);
      },
      b: () => {
        const af = asFloat(a);
        const positive = tf.greater(af, 0);
        const logA = tf.where(positive, tf.log(tf.where(positive, af, tf.onesLike(af))), tf.zerosLike(af));
        return reduceToShape(tf.mul(g, tf.mul(tf.pow(af, asFloat(b)), logA)), b.shape);
      },
    };
  },
};
