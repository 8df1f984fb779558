/**
 * The conjugate-gradient method for symmetric positive definite linear systems given only as a
 * matrix-vector product: a plain function `(matvec, b) → x` (TorchOpt's `linear_solve` style).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';

/** A linear operator `v ↦ A v` on tensors of one shape (float32; `A` symmetric positive definite). */
export type MatVec = (v: tf.Tensor) => tf.Tensor;

/** Why {@link conjugateGradient} stopped. */
export type CgStop = 'tolerance' | 'maxIters' | 'nonPositiveCurvature';

/** What {@link conjugateGradient} reports when it stops (see {@link ConjugateGradientOptions.onStop}). */
export interface CgReport {
  /** Iterations taken (matvec calls on search directions), `<= maxIters`. */
  readonly iterations: number;
  /**
   * `||b - A x||₂` of the returned `x`, by the CG recurrence (float64 of float32 dot products);
   * NaN when the first direction already had non-positive curvature (`x = b` is returned untested).
   */
  readonly residualNorm: number;
  /** `||b||₂`. */
  readonly bNorm: number;
  readonly stoppedBy: CgStop;
  /** `||r_k||₂` after each iteration `k = 1..iterations` (index 0: the initial residual). */
  readonly residualNorms: readonly number[];
}

/** Options of {@link conjugateGradient}. */
export interface ConjugateGradientOptions {
  /** Maximum number of iterations `K >= 0`; in exact arithmetic CG solves an `n × n` system in `<= n`. */
  readonly maxIters: number;
  /**
   * Relative tolerance `>= 0`: stop as soon as `||r_k||₂ <= tol · ||b||₂`. Default 1e-6 (about
   * float32's resolution: further iterations would mostly add rounding error).
   */
  readonly tol?: number;
  /** Called once with the {@link CgReport} when the method stops. */
  readonly onStop?: (report: CgReport) => void;
}

/**
 * Solves `A x = b` for symmetric positive definite `A` by conjugate gradients, from `x_0 = 0`,
 * touching `A` only through `matvec`.
 *
 * Maths (Hestenes & Stiefel 1952): `r_0 = p_0 = b`; for `k = 0, 1, ...`:
 * `α_k = r_kᵀr_k / p_kᵀA p_k`, `x_{k+1} = x_k + α_k p_k`, `r_{k+1} = r_k - α_k A p_k`,
 * `β_k = r_{k+1}ᵀr_{k+1} / r_kᵀr_k`, `p_{k+1} = r_{k+1} + β_k p_k`. `x_k` minimises the
 * `A`-norm error over the Krylov space `span{b, Ab, ..., A^{k-1}b}`, so the error falls at least
 * as `2 ((√κ - 1)/(√κ + 1))^k` (κ the condition number of `A`) and, in exact arithmetic, `x_n`
 * solves an `n`-dimensional system. The vectors are float32 tensors; the scalars `α`, `β` and the
 * norms are computed in float64 on the host from float32 dot products.
 *
 * Stops after `maxIters` iterations, or when `||r_k|| <= tol ||b||` (`'tolerance'`), or when a
 * search direction has `p_kᵀ A p_k <= 0` or not finite (`'nonPositiveCurvature'`: `A` is not
 * positive definite along `p_k`, as iMAML's `I + H/λ` can be when the support loss has curvature
 * below `-λ`). Then, as truncated CG does (Steihaug 1983), it returns the current iterate `x_k`,
 * or `b` itself when it happens at the first iteration (the solution for `A = I`). Every stop is
 * reported through `onStop`.
 *
 * Runs inside `tf.tidy`: only `x` survives. `matvec` is called at most `maxIters` times.
 *
 * @param matvec - `v ↦ A v`, returning a tensor of `v`'s shape (it may create tensors: they are
 *   disposed each iteration).
 * @param b - float32, any shape (treated as a vector of `b.size` entries).
 * @param options - `maxIters`, `tol`, `onStop`.
 * @returns float32 `x`, the shape of `b`; the caller owns it.
 * @throws MetaLearnError `invalidArgument` when `b` is not float32, `maxIters` is not an integer
 *   `>= 0`, or `tol` is negative or not finite; `shapeMismatch` when `matvec` returns another shape.
 * @example
 * // A = [[4, 1], [1, 3]], b = [1, 2]  ⇒  x = [1/11, 7/11] after 2 iterations
 * const A = tf.tensor2d([[4, 1], [1, 3]]);
 * const x = conjugateGradient((v) => tf.reshape(tf.matMul(A, tf.reshape(v, [2, 1])), [2]), tf.tensor1d([1, 2]), { maxIters: 2 });
 * @see Hestenes & Stiefel 1952, "Methods of conjugate gradients for solving linear systems", J. Res. NBS 49(6).
 * @see Nocedal & Wright 2006, "Numerical Optimization", 2nd ed., Algorithm 5.2 (CG) and Algorithm 7.2 (CG-Steihaug).
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", sec. 3.2 (CG for the implicit meta-gradient).
 */
export function conjugateGradient(matvec: MatVec, b: tf.Tensor, options: ConjugateGradientOptions): tf.Tensor {
  const fn = 'conjugateGradient';
  if (!(b instanceof tf.Tensor) || b.isDisposed) throw new MetaLearnError('invalidArgument', `${fn}: b must be a live tf.Tensor`);
  if (b.dtype !== 'float32') throw new MetaLearnError('invalidArgument', `${fn}: b must be float32, got ${b.dtype}`);
  const { maxIters } = options;
  const tol = options.tol ?? 1e-6;
  if (!(Number.isInteger(maxIters) && maxIters >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.maxIters must be an integer >= 0, got ${String(maxIters)}`);
  if (!(Number.isFinite(tol) && tol >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.tol must be a finite number >= 0, got ${String(tol)}`);

  const dot = (u: tf.Tensor, v: tf.Tensor): number => {
    const d = tf.tidy(() => tf.sum(tf.mul(u, v)));
    const value = d.dataSync()[0]!;
    d.dispose();
    return value;
  };
  const applyA = (v: tf.Tensor): tf.Tensor => {
    const av = matvec(v);
    if (!(av instanceof tf.Tensor) || !tf.util.arraysEqual(av.shape, v.shape)) {
      const got = av instanceof tf.Tensor ? `[${av.shape.join(', ')}]` : typeof av;
      throw new MetaLearnError('shapeMismatch', `${fn}: matvec must return a tensor of shape [${v.shape.join(', ')}] (the shape of b), got ${got}`);
    }
    return av;
  };

  return tf.tidy(() => {
    let x: tf.Tensor = tf.zerosLike(b);
    let r: tf.Tensor = tf.clone(b);
    let p: tf.Tensor = tf.clone(b);
    let rr = dot(r, r);
    const bNorm = Math.sqrt(rr);
    const norms = [bNorm];
    const report = (iterations: number, stoppedBy: CgStop): void => {
      options.onStop?.({ iterations, residualNorm: Math.sqrt(rr), bNorm, stoppedBy, residualNorms: norms });
    };
    if (bNorm === 0 || tol >= 1) {
      report(0, 'tolerance');
      return x;
    }
    for (let k = 0; k < maxIters; k++) {
      const [ap, pAp] = ((): [tf.Tensor, number] => {
        const a = tf.tidy(() => applyA(p));
        return [a, dot(p, a)];
      })();
      if (!(pAp > 0 && Number.isFinite(pAp))) {
        ap.dispose();
        if (k === 0) {
          x.dispose();
          x = tf.clone(b);
          rr = NaN; // residual of x = b is not tracked by the recurrence
        }
        report(k, 'nonPositiveCurvature');
        return x;
      }
      const alpha = rr / pAp;
      const [xNext, rNext] = tf.tidy(() => [tf.add(x, tf.mul(p, alpha)), tf.sub(r, tf.mul(ap, alpha))]);
      ap.dispose();
      x.dispose();
      r.dispose();
      x = xNext!;
      r = rNext!;
      const rrNext = dot(r, r);
      norms.push(Math.sqrt(rrNext));
      if (Math.sqrt(rrNext) <= tol * bNorm) {
        rr = rrNext;
        report(k + 1, 'tolerance');
        return x;
      }
      const beta = rrNext / rr;
      rr = rrNext;
      if (k + 1 < maxIters) {
        const pNext = tf.tidy(() => tf.add(r, tf.mul(p, beta)));
        p.dispose();
        p = pNext;
      }
    }
    report(maxIters, 'maxIters');
    return x;
  });
}
