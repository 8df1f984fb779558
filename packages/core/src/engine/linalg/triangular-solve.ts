/**
 * A differentiable batched triangular solve, the building block of the Cholesky gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatrixShape, checkRightHandSide } from './matrix-shape.js';
import { triangularSolveHost } from './host-triangular.js';
import { triangleMask } from './triangle-mask.js';

/** Options of {@link triangularSolve}. */
export interface TriangularSolveOptions {
  /** `T` is lower triangular (default true); otherwise upper. Only that triangle is read. */
  readonly lower?: boolean;
  /** Solve `Tᵀ X = B` instead of `T X = B` (default false). */
  readonly transpose?: boolean;
}

/**
 * Solves the triangular systems `op(T) X = B`, batched, differentiably in `T` and `B`.
 *
 * Forward: substitution in float64 on the host ({@link triangularSolveHost}).
 * Backward (`X = op(T)⁻¹ B`): `dB = op(T)⁻ᵀ dX` and `d op(T) = -dB Xᵀ`, so
 * `dT = tri(-dB Xᵀ)` (no transpose) or `tri(-X dBᵀ)` (transpose), where `tri` keeps the triangle
 * that is read. The backward recomputes `X` from the saved inputs and is built from
 * `triangularSolve` itself and tfjs ops, so gradients of every order are exact (saved outputs are
 * avoided on purpose: tfjs's tape would not connect them in a second-order pass).
 *
 * @param t - float32 `T: [...batch, n, n]`, triangular (the other triangle is ignored).
 * @param b - float32 `B: [...batch, n, m]`, the same batch shape.
 * @param options - `lower` (default true), `transpose` (default false).
 * @returns float32 `X: [...batch, n, m]`.
 * @throws MetaLearnError `invalidArgument` (dtype, or a zero on the diagonal: singular system),
 *   `shapeMismatch` (shapes).
 * @example const x = triangularSolve(L, B);                    // L X = B
 * @example const y = triangularSolve(L, B, { transpose: true }); // Lᵀ Y = B
 * @see Giles 2008, "An extended collection of matrix derivative results for forward and reverse
 *   mode automatic differentiation" (the matrix inverse and linear solve results).
 */
export function triangularSolve<R extends tf.Rank>(t: tf.Tensor<R>, b: tf.Tensor<R>, options: TriangularSolveOptions = {}): tf.Tensor<R> {
  const lower = options.lower ?? true;
  const transpose = options.transpose ?? false;
  const ts = batchedMatrixShape(t, 'T', 'triangularSolve', true);
  const bs = batchedMatrixShape(b, 'B', 'triangularSolve', false);
  checkRightHandSide(ts, bs, 'T', 'triangularSolve');
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [tIn, bIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const x = triangularSolveHost(tIn.dataSync(), bIn.dataSync(), ts, bs.cols, { lower, transpose }, 'triangularSolve', 'T');
    save([tIn, bIn]);
    return {
      value: tf.tensor(Float32Array.from(x), bIn.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [tS, bS] = saved as [tf.Tensor<R>, tf.Tensor<R>];
        const xS = triangularSolve(tS, bS, { lower, transpose });
        const gB = triangularSolve(tS, dy as tf.Tensor<R>, { lower, transpose: !transpose });
        const outer = transpose ? tf.matMul(xS, gB, false, true) : tf.matMul(gB, xS, false, true);
        const gT = tf.mul(tf.neg(outer), triangleMask(ts.rows, lower));
        return [gT, gB];
      },
    };
  });
  return op(t, b) as tf.Tensor<R>;
}
