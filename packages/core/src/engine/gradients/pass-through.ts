/**
 * Gradients of the kernels whose derivative is the identity or its negative: `Identity`,
 * `Cast` (the upstream gradient passes through, as in tfjs), `Neg`, and `AddN` (each input gets
 * the upstream gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/** `Identity`: `dx = dy`. */
export const identityGradConfig: tf.GradConfig = {
  kernelName: tf.Identity,
  gradFunc: (dy) => ({ x: () => tf.clone(single(dy)) }),
};

/** `Cast`: `dx = dy` (a float32 gradient, whatever the input dtype). */
export const castGradConfig: tf.GradConfig = {
  kernelName: tf.Cast,
  gradFunc: (dy) => ({ x: () => tf.clone(single(dy)) }),
};

/** `Neg`: `dx = -dy`. */
export const negGradConfig: tf.GradConfig = {
  kernelName: tf.Neg,
  gradFunc: (dy) => ({ x: () => tf.neg(single(dy)) }),
};

/** `AddN`: `dx_i = dy` for every input. */
export const addNGradConfig: tf.GradConfig = {
  kernelName: tf.AddN,
  saveAllInputs: true,
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const out: Record<string, () => tf.Tensor> = {};
    saved.forEach((_, i) => {
      out[i] = () => tf.clone(g);
    });
    return out;
  },
};
