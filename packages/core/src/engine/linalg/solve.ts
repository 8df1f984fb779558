/**
 * `solve`: the convenient entry point for symmetric positive definite linear systems.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { choleskySolve } from './cholesky-solve.js';

/**
 * Solves `A x = b` (or `A X = B`) for symmetric positive definite `A`, batched and
 * differentiable: {@link choleskySolve} that also accepts a vector right-hand side.
 *
 * @param a - float32 `A: [...batch, n, n]`, symmetric positive definite (lower triangle read).
 * @param b - float32 `b: [...batch, n]` (vector right-hand side: rank of `A` minus 1) or
 *   `B: [...batch, n, m]` (same rank as `A`).
 * @returns float32 `x: [...batch, n]` or `X: [...batch, n, m]`, matching `b`.
 * @throws MetaLearnError `shapeMismatch` when the rank of `b` is neither `rank(A)` nor `rank(A) - 1`
 *   (and everything {@link choleskySolve} throws: `notPositiveDefinite`, `nonFinite`, ...).
 * @example const x = solve(tf.tensor2d([[2, 1], [1, 2]]), tf.tensor1d([3, 3])); // [1, 1]
 */
export function solve(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (b.rank === a.rank) return choleskySolve(a, b);
  if (b.rank === a.rank - 1 && a.rank >= 2) {
    return tf.tidy(() => tf.squeeze(choleskySolve(a, tf.expandDims(b, -1)), [-1]));
  }
  throw new MetaLearnError(
    'shapeMismatch',
    `solve: b must be [..., n] or [..., n, m] for A [${a.shape.join(', ')}], got [${b.shape.join(', ')}]`,
  );
}
