/**
 * Constant triangle masks, to restrict a gradient to the triangle of a matrix that a triangular
 * op actually reads.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The float32 `[n, n]` mask of the lower (or upper) triangle, diagonal included, scaled on the
 * diagonal by `diagonal` (1 for a plain mask; 1/2 for the `Φ` of the Cholesky gradient).
 * @param n - the matrix size.
 * @param lower - lower triangle (`i >= j`) when true, upper (`i <= j`) otherwise.
 * @param diagonal - the value on the diagonal.
 * @returns a new tensor; broadcasts over leading batch dimensions in `tf.mul`.
 */
export function triangleMask(n: number, lower: boolean, diagonal = 1): tf.Tensor2D {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) m[i * n + j] = diagonal;
      else if (lower ? i > j : i < j) m[i * n + j] = 1;
    }
  }
  return tf.tensor2d(m, [n, n]);
}
