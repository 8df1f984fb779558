/**
 * Gradients of `Sum` and `Mean`.
 *
 * Maths: y = Σ_{axes} x ⇒ ∂L/∂x = dy broadcast back over the reduced axes; for the mean, divided
 * by the number of reduced elements (applied as the factor 1/n of the broadcast).
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/**
 * `scale * dy` (reduced over `axis`) broadcast back to `x.shape`. When the reduced axes are the
 * leading ones (batch norm's moments, every per-channel broadcast: `[N, H, W, C]` over
 * `[N, H, W]`), it is the outer product `c g` of a constant column `c = scale * 1 [R, 1]` with
 * `g = dy [1, C]` (R, C the products of the reduced and kept dimensions): one matrix product,
 * whose gradient w.r.t. `g` is again a product (`c^T dz`, a column sum), instead of a full-size
 * tensor of ones built in JavaScript and multiplied (10x slower on wasm for `[75, 14, 14, 64]`).
 * Other axes: `reshape(dy) * scale` times ones of `x.shape`.
 */
function broadcastBack(g: tf.Tensor, x: tf.Tensor, axis: number | number[], scale = 1): tf.Tensor {
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const k = axes.length;
  if (k > 0 && k < x.rank && axes.every((a, i) => a === i)) {
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const cols = tf.util.sizeFromShape(x.shape.slice(k));
    if (rows > 0 && cols > 0) return tf.reshape(tf.matMul(tf.fill([rows, 1], scale, 'float32'), tf.reshape(g, [1, cols])), x.shape);
  }
  return tf.mul(tf.reshape(g, kept), tf.fill(x.shape, scale, 'float32'));
}

/** `Sum`: `dx = broadcast(dy)`. */
export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    return { x: () => broadcastBack(single(dy), x, attrs['axis'] as number | number[]) };
  },
};

/** `Mean`: `dx = broadcast(dy) / n`, n the number of reduced elements. */
export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const axis = attrs['axis'] as number | number[];
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
    return { x: () => broadcastBack(single(dy), x, axis, 1 / n) };
  },
};
