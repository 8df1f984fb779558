/**
 * Small dense symmetric positive definite algebra on the host in float64 (row-major arrays), for
 * the KKT backward: a Cholesky factorisation, a solve with it and the explicit inverse.
 * Internal to @metalearn/metaoptnet (not exported): its callers build matrices that are PD by
 * construction (principal submatrices of `K̃ = sym(K) + ε I`, and a Schur complement of them).
 */
import { MetaLearnError } from '@metalearn/core';

/**
 * `A = L Lᵀ` (Cholesky–Banachiewicz); reads the lower triangle of `A`.
 * @param a - `A: [n, n]`, row-major, symmetric positive definite.
 * @param n - the order.
 * @param what - names `A` in the error message.
 * @returns `L: [n, n]`, row-major, zero above the diagonal.
 * @throws MetaLearnError `notPositiveDefinite` naming the pivot whose Schur complement is `<= 0`.
 */
export function choleskyHost(a: ArrayLike<number>, n: number, what: string): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new MetaLearnError('notPositiveDefinite', `${what} is not positive definite (pivot ${i} of ${n}, Schur complement ${s.toPrecision(4)})`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  return l;
}

/**
 * Solves `L Lᵀ x = b` in place.
 * @param l - the Cholesky factor from {@link choleskyHost}.
 * @param n - the order.
 * @param b - `b: [n]`, overwritten with `x`.
 */
export function choleskySolveHost(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/**
 * `A⁻¹` from the Cholesky factor of `A` (column by column).
 * @param l - the Cholesky factor from {@link choleskyHost}.
 * @param n - the order.
 * @returns `A⁻¹: [n, n]`, row-major (symmetric).
 */
export function spdInverseHost(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    e.fill(0);
    e[c] = 1;
    choleskySolveHost(l, n, e);
    for (let r = 0; r < n; r++) inv[r * n + c] = e[r]!;
  }
  return inv;
}
