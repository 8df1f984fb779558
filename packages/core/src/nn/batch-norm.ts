/**
 * Batch normalisation as pure functions: statistics, then the normalisation, so a caller can
 * use the batch's own statistics (transductive, as MAML does at meta-training and meta-test) or
 * statistics captured elsewhere (e.g. the support set's, for non-transductive evaluation).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NormStats } from '../backbone.js';

/**
 * Per-channel batch statistics over every axis but the last:
 * `mean[c] = (1/M) sum_m x[m, c]`, `variance[c] = (1/M) sum_m (x[m, c] - mean[c])^2`
 * (biased, as in training-mode batch norm), `M = B * H * W`.
 * Built from elementary ops so it is twice differentiable.
 * @param x - float32 `[..., C]`.
 * @returns `mean`, `variance`: float32 `[C]`.
 */
export function batchMoments(x: tf.Tensor): NormStats {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const mean = tf.mean(x, axes) as tf.Tensor1D;
    const variance = tf.mean(tf.square(tf.sub(x, mean)), axes) as tf.Tensor1D;
    return { mean, variance };
  });
}

/**
 * `y = (x - mean) / sqrt(variance + epsilon) * scale + offset`, per channel (last axis), computed
 * as `y = x * a + b` with the per-channel `a = scale / sqrt(variance + epsilon)` and
 * `b = offset - mean * a` (the same function: two full-size operations instead of four, and
 * likewise fewer in its gradient; the extra rounding is of order `u |mean| / sqrt(variance)`).
 * @param x - float32 `[..., C]`.
 * @param stats - `mean`, `variance`: float32 `[C]`.
 * @param epsilon - added to the variance, > 0 (TensorFlow's `batch_norm` default is 1e-3).
 * @param scale - `gamma`: float32 `[C]`, optional (no scaling when absent).
 * @param offset - `beta`: float32 `[C]`, optional (no shift when absent).
 * @returns float32, the shape of `x`.
 * @see Ioffe & Szegedy 2015, "Batch Normalization", Algorithm 1.
 */
export function normalize<T extends tf.Tensor>(x: T, stats: NormStats, epsilon: number, scale?: tf.Tensor, offset?: tf.Tensor): T {
  return tf.tidy(() => {
    let a: tf.Tensor = tf.rsqrt(tf.add(stats.variance, epsilon));
    if (scale !== undefined) a = tf.mul(a, scale);
    const shift = tf.mul(stats.mean, a);
    const b = offset !== undefined ? tf.sub(offset, shift) : tf.neg(shift);
    return tf.add(tf.mul(x, a), b) as T;
  });
}
