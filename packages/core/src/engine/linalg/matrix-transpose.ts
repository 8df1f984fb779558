/**
 * The batched matrix transpose `[..., n, m] → [..., m, n]`.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Swaps the last two dimensions of `x` (differentiable: a `tf.transpose`).
 * @param x - `[...batch, n, m]`, rank >= 2.
 * @returns `[...batch, m, n]`.
 */
export function matrixTranspose<T extends tf.Tensor>(x: T): T {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm) as T;
}
