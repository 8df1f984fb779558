/**
 * Gradient of `LRN` (local response normalization across channels), re-registered so it is
 * exact at every order.
 *
 * Maths: y_c = x_c · s_c^(-β), s_c = bias + α Σ_{|c'-c| ≤ r} x_{c'}², so
 * ∂L/∂x_i = dy_i s_i^(-β) - 2αβ x_i Σ_{|c-i| ≤ r} dy_c x_c s_c^(-β-1) (the window is symmetric).
 * tfjs runs the `LRNGrad` kernel on the saved output, which has no gradient; here the window
 * sums are zero-padding plus 2r + 1 slices along the channel axis, all differentiable.
 * @see Krizhevsky, Sutskever & Hinton 2012, "ImageNet Classification with Deep CNNs", section 3.3
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/** Σ_{|c'-c| ≤ r} z_{c'} along the last axis (zero outside `[0, C)`). */
export function channelWindowSum(z: tf.Tensor, radius: number): tf.Tensor {
  const c = z.shape[z.rank - 1]!;
  const paddings = z.shape.map((_, i) => (i === z.rank - 1 ? [radius, radius] : [0, 0]) as [number, number]);
  const padded = tf.pad(z, paddings);
  const parts: tf.Tensor[] = [];
  for (let k = 0; k <= 2 * radius; k++) {
    parts.push(tf.slice(padded, z.shape.map((_, i) => (i === z.rank - 1 ? k : 0)), z.shape.map((d, i) => (i === z.rank - 1 ? c : d))));
  }
  return parts.length === 1 ? parts[0]! : tf.addN(parts);
}

/** `LRN`: the closed-form input gradient above. */
export const lrnGradConfig: tf.GradConfig = {
  kernelName: tf.LRN,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const r = attrs['depthRadius'] as number;
    const bias = attrs['bias'] as number;
    const alpha = attrs['alpha'] as number;
    const beta = attrs['beta'] as number;
    return {
      x: () => {
        const g = single(dy);
        const s = tf.add(tf.mul(channelWindowSum(tf.square(x), r), alpha), bias);
        const direct = tf.mul(g, tf.pow(s, -beta));
        const coupled = channelWindowSum(tf.mul(tf.mul(g, x), tf.pow(s, -beta - 1)), r);
        return tf.sub(direct, tf.mul(tf.mul(x, coupled), 2 * alpha * beta));
      },
    };
  },
};
