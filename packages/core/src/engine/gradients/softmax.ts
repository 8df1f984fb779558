/**
 * Gradient of `Softmax`, re-registered so it is exact at every order.
 *
 * Maths: p = softmax(z) ⇒ ∂L/∂z = p ⊙ (dy - ⟨dy, p⟩) along the softmax axis. tfjs uses the
 * saved output p, which drops the second-order path; here p is recomputed from the input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/** `Softmax`: `dlogits = p·(dy - Σ dy·p)`, `p = softmax(logits)`. */
export const softmaxGradConfig: tf.GradConfig = {
  kernelName: tf.Softmax,
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const logits = saved[0]!;
    const dim = attrs['dim'] as number;
    return {
      logits: () => {
        const g = single(dy);
        const p = tf.softmax(logits, dim);
        return tf.mul(p, tf.sub(g, tf.sum(tf.mul(g, p), dim, true)));
      },
    };
  },
};
