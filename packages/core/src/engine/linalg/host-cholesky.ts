/**
 * The Cholesky factorisation on the host, in float64, of a batch of symmetric positive definite
 * matrices downloaded from tfjs (`dataSync`). It is the forward kernel of {@link cholesky} and
 * {@link choleskySolve}; gradients are added by those functions, not here.
 *
 * Why the host and not tfjs ops or ml-matrix (measured on this project's 2-core machine, tfjs
 * 4.22, including download and upload): tfjs 4.22 has no Cholesky kernel, and an op-by-op column
 * loop costs `O(n)` kernel launches — batch 1, n = 100: 27 ms (cpu) / 40 ms (wasm) against 0.3 ms
 * here; batch 32, n = 100: 465 / 848 ms against 11 ms. ml-matrix's `CholeskyDecomposition` plus
 * solve took 3–4x longer than this loop (batch 32, n = 100: 43 ms against 13 ms for the whole
 * solve), rejects matrices that are not bitwise symmetric (a float32 `X Xᵀ` often is not) and
 * does not say which pivot failed.
 */
import { MetaLearnError } from '../../errors.js';
import { batchLabel, type BatchedMatrixShape } from './matrix-shape.js';

/**
 * Factors `A[b] = L[b] L[b]ᵀ` for every matrix of the batch (Cholesky–Banachiewicz, row by row),
 * reading only the lower triangle of `A` (the LAPACK `potrf` convention).
 *
 * `L[i][j] = (A[i][j] - Σ_{k<j} L[i][k] L[j][k]) / L[j][j]` for `j < i`,
 * `L[i][i] = sqrt(A[i][i] - Σ_{k<i} L[i][k]²)`.
 *
 * @param a - row-major values of `A: [batch, n, n]` (float32 from `dataSync`, or float64).
 * @param shape - the validated shape of `A` (`rows === cols === n`).
 * @param fnName - the public function that asked, for error messages.
 * @param argName - the argument's name, for error messages.
 * @returns row-major float64 `L: [batch, n, n]`, zero above the diagonal.
 * @throws MetaLearnError `nonFinite` when the lower triangle of some `A[b]` holds NaN or ±Inf.
 * @throws MetaLearnError `notPositiveDefinite` naming the matrix and the (0-based) pivot `k`
 *   whose Schur complement `A[k][k] - Σ L[k][i]²` is not positive.
 */
export function choleskyFactorHost(
  a: ArrayLike<number>,
  shape: BatchedMatrixShape,
  fnName: string,
  argName: string,
): Float64Array {
  const n = shape.rows;
  const nn = n * n;
  const l = new Float64Array(shape.batch * nn);
  for (let b = 0; b < shape.batch; b++) {
    const o = b * nn;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        if (!Number.isFinite(a[o + i * n + j]!)) {
          throw new MetaLearnError('nonFinite', `${fnName}: ${batchLabel(argName, shape.batchShape, b)} has a non-finite entry at (${i}, ${j}): ${a[o + i * n + j]}`);
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const ri = o + i * n;
      for (let j = 0; j <= i; j++) {
        const rj = o + j * n;
        let s = a[ri + j]!;
        for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
        if (i === j) {
          if (!(s > 0)) {
            throw new MetaLearnError(
              'notPositiveDefinite',
              `${fnName}: ${batchLabel(argName, shape.batchShape, b)} is not positive definite (pivot k = ${i} of n = ${n}, Schur complement ${s.toPrecision(4)} <= 0)`,
            );
          }
          l[ri + i] = Math.sqrt(s);
        } else {
          l[ri + j] = s / l[rj + j]!;
        }
      }
    }
  }
  return l;
}
