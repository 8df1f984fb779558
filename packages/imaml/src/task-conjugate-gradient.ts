/**
 * Conjugate gradients for `T` independent symmetric positive definite systems at once, every
 * scalar kept on the device: `A_t x_t = b_t` for the rows `t` of `b: [T, P]`, with one matvec
 * per iteration for all tasks and no host read.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';
import type { MatVec } from './conjugate-gradient.js';

/** Options of {@link conjugateGradientTasks}. */
export interface TaskConjugateGradientOptions {
  /** Iterations `K >= 0` (matvec calls); every task runs them, stopped tasks with frozen iterates. */
  readonly maxIters: number;
  /** Relative tolerance `>= 0` per task: task `t` stops once `||r_t|| <= tol ||b_t||`. Default 1e-6. */
  readonly tol?: number;
}

/**
 * Solves `A_t x_t = b_t` for every row `t` of `b` by conjugate gradients from `x_0 = 0`, where
 * `matvec` applies the block-diagonal operator `diag(A_1, ..., A_T)` row by row (row `t` of
 * `matvec(v)` is `A_t v_t`, e.g. the Hessian-vector product of `Σ_t L_t(x_t)`).
 *
 * Maths, per task `t` (Hestenes & Stiefel 1952), the scalars float32 `[T, 1]`:
 * `r_0 = p_0 = b_t`; `α = r_kᵀr_k / p_kᵀA_t p_k`, `x_{k+1} = x_k + α p_k`, `r_{k+1} = r_k - α A_t p_k`,
 * `β = r_{k+1}ᵀr_{k+1} / r_kᵀr_k`, `p_{k+1} = r_{k+1} + β p_k`; every dot product reduces over the
 * `P` entries of one row only. The same stopping rules as {@link conjugateGradient}, decided per
 * task on the device (masks, `tf.where`) instead of on the host: task `t` is frozen (its `x_t`
 * no longer changes) once `||r_t|| <= tol ||b_t||` (`r_tᵀr_t <= tol² b_tᵀb_t`), when `b_t = 0`
 * (`x_t = 0`), or at a direction with `p_kᵀA_t p_k <= 0` or not finite (the current `x_t`, or
 * `b_t` when that happens at the first iteration: truncated CG, Steihaug 1983). So row `t` of the
 * result is what {@link conjugateGradient} returns for task `t` alone (to float32 rounding: here
 * `α`, `β` are float32, there float64 of float32 dot products), but the loop never waits for the
 * device: `maxIters` matvecs always run, and no report is produced (use `conjugateGradient` on
 * one task for diagnostics).
 *
 * Runs inside `tf.tidy`: only `x` survives; each iteration frees the previous one's vectors (memory
 * independent of `maxIters`).
 *
 * @param matvec - `v ↦ [A_t v_t]_t`, returning a tensor of `v`'s shape `[T, P]`.
 * @param b - float32 `[T, P]`, one right-hand side per row.
 * @param options - `maxIters`, `tol`.
 * @returns float32 `[T, P]`, row `t` the solution of task `t`; the caller owns it.
 * @throws MetaLearnError `invalidArgument` when `b` is not a float32 `[T, P]` tensor, `maxIters`
 *   is not an integer `>= 0` or `tol` is negative or not finite; `shapeMismatch` when `matvec`
 *   returns another shape.
 * @example
 * // two 2x2 systems: A_1 = diag(2, 4), A_2 = diag(1, 3)
 * const d = tf.tensor2d([[2, 4], [1, 3]]);
 * const x = conjugateGradientTasks((v) => tf.mul(d, v), tf.tensor2d([[2, 4], [1, 6]]), { maxIters: 2 }); // [[1, 1], [1, 2]]
 * @see Hestenes & Stiefel 1952, "Methods of conjugate gradients for solving linear systems", J. Res. NBS 49(6).
 * @see Nocedal & Wright 2006, "Numerical Optimization", 2nd ed., Algorithms 5.2 and 7.2.
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", sec. 3.2 and Algorithm 2 (one CG solve per task).
 */
export function conjugateGradientTasks(matvec: MatVec, b: tf.Tensor, options: TaskConjugateGradientOptions): tf.Tensor {
  const fn = 'conjugateGradientTasks';
  if (!(b instanceof tf.Tensor) || b.isDisposed) throw new MetaLearnError('invalidArgument', `${fn}: b must be a live tf.Tensor`);
  if (b.dtype !== 'float32' || b.rank !== 2) throw new MetaLearnError('invalidArgument', `${fn}: b must be float32 [T, P], got ${b.dtype} [${b.shape.join(', ')}]`);
  const { maxIters } = options;
  const tol = options.tol ?? 1e-6;
  if (!(Number.isInteger(maxIters) && maxIters >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.maxIters must be an integer >= 0, got ${String(maxIters)}`);
  if (!(Number.isFinite(tol) && tol >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.tol must be a finite number >= 0, got ${String(tol)}`);

  const dot = (u: tf.Tensor, v: tf.Tensor): tf.Tensor => tf.sum(tf.mul(u, v), 1, true);
  const applyA = (v: tf.Tensor): tf.Tensor => {
    const av = matvec(v);
    if (!(av instanceof tf.Tensor) || !tf.util.arraysEqual(av.shape, v.shape)) {
      const got = av instanceof tf.Tensor ? `[${av.shape.join(', ')}]` : typeof av;
      throw new MetaLearnError('shapeMismatch', `${fn}: matvec must return a tensor of shape [${v.shape.join(', ')}] (the shape of b), got ${got}`);
    }
    return av;
  };

  return tf.tidy(() => {
    const zeros = tf.zerosLike(b);
    // A per-task flag [T, 1] as a full [T, P] mask: tf.where would broadcast it with a Tile
    // kernel (slow for bool on wasm); a broadcast add and a comparison are two cheap element-wise ops.
    const rows = (flag: tf.Tensor): tf.Tensor => tf.greater(tf.add(zeros, tf.cast(flag, 'float32')), 0.5);
    let x: tf.Tensor = zeros;
    if (tol >= 1 || maxIters === 0) return x;
    let r: tf.Tensor = b;
    let p: tf.Tensor = b;
    let rr = dot(b, b);
    const threshold = tf.mul(rr, tol * tol);
    let active = tf.greater(rr, 0);
    for (let k = 0; k < maxIters; k++) {
      const state = tf.tidy(() => {
        const ap = applyA(p);
        const pAp = dot(p, ap);
        const curved = tf.logicalAnd(tf.greater(pAp, 0), tf.less(pAp, Infinity)); // false for NaN too
        // Non-positive curvature at the first iteration: x = b (the solution for A = I).
        const xIn = k === 0 ? tf.where(rows(tf.logicalAnd(active, tf.logicalNot(curved))), b, x) : x;
        const live = tf.logicalAnd(active, curved);
        const liveRows = rows(live);
        const alpha = tf.where(live, tf.div(rr, pAp), tf.zerosLike(rr));
        const xNext = tf.where(liveRows, tf.add(xIn, tf.mul(alpha, p)), xIn);
        const rNext = tf.where(liveRows, tf.sub(r, tf.mul(alpha, ap)), r);
        const rrNext = dot(rNext, rNext);
        const stillActive = tf.logicalAnd(live, tf.greater(rrNext, threshold));
        const rrKept = tf.where(live, rrNext, rr);
        const pNext = k + 1 < maxIters ? tf.where(rows(stillActive), tf.add(rNext, tf.mul(tf.div(rrNext, rr), p)), p) : p;
        return { x: xNext, r: rNext, p: pNext, rr: rrKept, active: stillActive };
      });
      // Free the previous iterate now (memory flat in K), never b itself or a tensor carried over.
      const kept = new Set<tf.Tensor>([b, zeros, state.x, state.r, state.p, state.rr, state.active]);
      for (const old of [x, r, p, rr, active]) if (!kept.has(old)) old.dispose();
      x = state.x;
      r = state.r;
      p = state.p;
      rr = state.rr;
      active = state.active;
    }
    return x;
  });
}
