/**
 * Hessian-vector products of a task-batched loss `J(x) = Σ_t L_t(x_t)` over rows `x_t` of
 * `x: [T, P]`: the Hessian of `J` is block-diagonal over tasks, so one batched product gives
 * every task's own `H_t v_t`, exactly (double backward) or by finite differences with a per-task
 * probe, and no host read.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hessianVectorProduct, MetaLearnError } from '@metalearn/core';
import type { MatVec } from './conjugate-gradient.js';

/** `J(x) = Σ_t L_t(x_t)` for float32 `x: [T, P]`, each `L_t` depending on row `t` only. */
export type TaskBatchedLoss = (x: tf.Tensor) => tf.Scalar;

/** Options of {@link taskHvpOperator}. */
export interface TaskHvpOptions {
  /** `'exact'`: double backward (Pearlmutter). `'finiteDifference'`: gradient differences. */
  readonly mode: 'exact' | 'finiteDifference';
  /** Probe length `||r_t v_t||₂ = fdStep > 0` of every task (finite difference); default 1e-2. */
  readonly fdStep?: number;
  /** `'central'` (default, error `O(r²)`) or `'forward'` (error `O(r)`, one gradient per product). */
  readonly fdScheme?: 'forward' | 'central';
}

/**
 * The operator `v ↦ [H_t v_t]_t`, `H_t = ∇²L_t(x_t)`, for a task-batched loss at a fixed point `x`.
 *
 * - exact: `H v = ∇_x <∇_x J(x), v>` (core's `hessianVectorProduct`); since `∂²J/∂x_s∂x_t = 0`
 *   for `s ≠ t`, row `t` is `H_t v_t`.
 * - finite difference: per task `r_t = fdStep / ||v_t||₂` (a `[T, 1]` tensor; rows with
 *   `v_t = 0` give 0), `H_t v_t ≈ (g_t(x_t + r_t v_t) - g_t(x_t - r_t v_t)) / (2 r_t)` (central)
 *   or `(g_t(x_t + r_t v_t) - g_t(x_t)) / r_t` (forward), with `g = ∇J`, whose row `t` is
 *   `∇L_t(x_t)`: one batched gradient per shifted point for all tasks. The forward scheme's
 *   `g(x)` is computed once, here, not per product. For `T = 1` this is core's
 *   `hessianVectorProduct(..., { mode: 'finiteDifference', r: fdStep / ||v||₂ })` with `r` in
 *   float32 on the device instead of float64 on the host.
 *
 * Call it off every tape (`withoutTape`) and inside a `tf.tidy` that outlives the operator: the
 * forward scheme's base gradient lives in the caller's scope. The operator treats `v` as a
 * constant.
 * @param loss - `J`, e.g. the summed support losses of the tasks' fast weights.
 * @param x - float32 `[T, P]`, the point (the tasks' inner solutions); not disposed.
 * @param options - `mode`, `fdStep`, `fdScheme`.
 * @returns `v ↦ H v` for float32 `v: [T, P]`, a new `[T, P]` tensor per call.
 * @throws MetaLearnError `invalidArgument` on a bad option or a non-`[T, P]` `x`.
 * @see Pearlmutter 1994, "Fast exact multiplication by the Hessian"; Rajeswaran, Finn, Kakade &
 *   Levine 2019, "Meta-Learning with Implicit Gradients", sec. 3.2 (HVPs per task in CG).
 */
export function taskHvpOperator(loss: TaskBatchedLoss, x: tf.Tensor, options: TaskHvpOptions): MatVec {
  const fn = 'taskHvpOperator';
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.dtype !== 'float32') {
    throw new MetaLearnError('invalidArgument', `${fn}: x must be a float32 [T, P] tensor, got ${x instanceof tf.Tensor ? `${x.dtype} [${x.shape.join(', ')}]` : typeof x}`);
  }
  const { mode } = options;
  if (mode === 'exact') return (v) => hessianVectorProduct(loss, x, v, { mode: 'exact' });
  if (mode !== 'finiteDifference') throw new MetaLearnError('invalidArgument', `${fn}: options.mode must be 'exact' or 'finiteDifference', got ${JSON.stringify(mode)}`);
  const fdStep = options.fdStep ?? 1e-2;
  const scheme = options.fdScheme ?? 'central';
  if (!(Number.isFinite(fdStep) && fdStep > 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.fdStep must be a finite number > 0, got ${String(fdStep)}`);
  if (scheme !== 'forward' && scheme !== 'central') throw new MetaLearnError('invalidArgument', `${fn}: options.fdScheme must be 'forward' or 'central', got ${JSON.stringify(scheme)}`);
  const gradient = tf.grad(loss);
  const base = scheme === 'forward' ? gradient(x) : undefined;
  return (v) => tf.tidy(() => {
    const vNorm = tf.sqrt(tf.sum(tf.square(v), 1, true));
    const nonZero = tf.greater(vNorm, 0);
    // Zero rows probe with r = 1: x ± 0 = x, so their difference is exactly 0.
    const r = tf.where(nonZero, tf.div(fdStep, tf.where(nonZero, vNorm, tf.onesLike(vNorm))), tf.onesLike(vNorm));
    const shift = tf.mul(r, v);
    const plus = gradient(tf.add(x, shift));
    if (base !== undefined) return tf.div(tf.sub(plus, base), r);
    const minus = gradient(tf.sub(x, shift));
    return tf.div(tf.sub(plus, minus), tf.mul(r, 2));
  });
}
