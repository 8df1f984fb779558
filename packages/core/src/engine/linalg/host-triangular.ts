/**
 * Triangular solves on the host, in float64: the forward kernel of {@link triangularSolve} and the
 * two substitutions of {@link choleskySolve}.
 */
import { MetaLearnError } from '../../errors.js';
import { batchLabel, type BatchedMatrixShape } from './matrix-shape.js';

/** Which system a triangular solve answers: `op(T) X = B` with `op(T) = T` or `Tᵀ`. */
export interface TriangularSystem {
  /** `T` is lower triangular (only its lower triangle, diagonal included, is read). */
  readonly lower: boolean;
  /** Solve with `Tᵀ` instead of `T`. */
  readonly transpose: boolean;
}

/**
 * Solves `op(T[b]) X[b] = B[b]` for every matrix of the batch by substitution.
 *
 * `op(T)` is lower triangular when `lower !== transpose` (forward substitution,
 * `X[i] = (B[i] - Σ_{k<i} op(T)[i][k] X[k]) / T[i][i]`), upper otherwise (back substitution, the
 * sum over `k > i`). Entries of `T` outside its triangle are never read.
 *
 * @param t - row-major `T: [batch, n, n]`.
 * @param b - row-major `B: [batch, n, m]`.
 * @param shape - validated shape of `T` (its `batch` is the batch of `B` too).
 * @param m - number of right-hand sides (columns of `B`).
 * @param system - `lower`, `transpose`.
 * @param fnName - public function asking, for errors.
 * @param argName - name of `T` in that function, for errors.
 * @returns row-major float64 `X: [batch, n, m]`.
 * @throws MetaLearnError `invalidArgument` when a diagonal entry of `T[b]` is zero or not finite
 *   (the system is singular).
 */
export function triangularSolveHost(
  t: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: BatchedMatrixShape,
  m: number,
  system: TriangularSystem,
  fnName: string,
  argName: string,
): Float64Array {
  const n = shape.rows;
  const x = new Float64Array(shape.batch * n * m);
  const forward = system.lower !== system.transpose;
  // op(T)[i][k] lives at T[i][k] (no transpose) or T[k][i] (transpose).
  const rowStride = system.transpose ? 1 : n;
  const colStride = system.transpose ? n : 1;
  for (let bi = 0; bi < shape.batch; bi++) {
    const to = bi * n * n;
    const xo = bi * n * m;
    for (let step = 0; step < n; step++) {
      const i = forward ? step : n - 1 - step;
      const xi = xo + i * m;
      for (let j = 0; j < m; j++) x[xi + j] = b[xi + j]!;
      const kStart = forward ? 0 : i + 1;
      const kEnd = forward ? i : n;
      for (let k = kStart; k < kEnd; k++) {
        const tik = t[to + i * rowStride + k * colStride]!;
        if (tik === 0) continue;
        const xk = xo + k * m;
        for (let j = 0; j < m; j++) x[xi + j]! -= tik * x[xk + j]!;
      }
      const d = t[to + i * n + i]!;
      if (d === 0 || !Number.isFinite(d)) {
        throw new MetaLearnError('invalidArgument', `${fnName}: ${batchLabel(argName, shape.batchShape, bi)} is singular (diagonal entry ${i} is ${d})`);
      }
      for (let j = 0; j < m; j++) x[xi + j]! /= d;
    }
  }
  return x;
}
