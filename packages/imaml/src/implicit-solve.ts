/**
 * The linear solve of iMAML's implicit meta-gradient for `T` tasks at once:
 * `(I + H_t/λ) g_t = dy_t` for every row `t` (damped: `((1 + μ) I + H_t/(λ + δ)) g_t = dy_t`), by
 * conjugate gradients on Hessian-vector products.
 * Shared by the per-task wrapper (`T = 1`) and the task-batched one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';
import { conjugateGradient } from './conjugate-gradient.js';
import type { ImplicitGradientOptions } from './implicit-gradient-options.js';
import { conjugateGradientTasks } from './task-conjugate-gradient.js';
import { taskHvpOperator, type TaskBatchedLoss } from './task-hvp.js';

/**
 * `g_t = ((1 + μ) I + H_t/(λ + δ))⁻¹ dy_t` for every task `t`, `H_t = ∇²L_t(phi*_t)` the Hessian of
 * task `t`'s support loss at its inner solution (the rows of `phiFlat`); `μ = cgDamping` and
 * `δ = lambdaDamping` (both default 0: the paper's `(I + H_t/λ)⁻¹ dy_t`).
 *
 * Solved as `g_t = (I + H_t/λ')⁻¹ dy_t / (1 + μ)`, `λ' = (1 + μ)(λ + δ)` (the same system divided by
 * `1 + μ`, with the same relative residual): the operator `v ↦ v + [H_t v_t]_t / λ'`
 * ({@link taskHvpOperator}: one batched exact or finite-difference HVP of `J = Σ_t L_t` for every
 * task, no host read) is inverted by conjugate gradients, `cgSteps` iterations at most:
 * - `T > 1`: {@link conjugateGradientTasks}, per-task scalars `[T, 1]` on the device, no host
 *   read (stopped tasks are masked, every iteration runs);
 * - `T = 1`: the host-side {@link conjugateGradient}, which reads its two scalars per iteration
 *   back and stops early at the tolerance (and reports through `onCgStop`). On the synchronous
 *   cpu and wasm backends that is cheaper for one task than the device-side masks (measured:
 *   a 25-task per-task loop of 5 CG steps, wasm 259 vs 409 ms, cpu 470 vs 739 ms best of 8).
 * Both give the same `g` to float32 rounding (per row, bitwise in the tests). `cgSteps = 0` gives
 * `g = dy / (1 + μ)` (the first-order approximation, `H` left out; `g = dy` undamped, as the
 * official code's `cg_steps <= 1`), and so does a CG stop at non-positive curvature on its first
 * iteration.
 *
 * Call it off every tape (`withoutTape`): the result is a constant.
 * @param dy - float32 `[T, P]`, `∇_phi L_query` per task.
 * @param phiFlat - float32 `[T, P]`, the inner solutions.
 * @param loss - `J(x) = Σ_t L_t(x_t)` for `x: [T, P]`.
 * @param o - `lambda`, `cgDamping`, `lambdaDamping`, `cgSteps`, `cgTol`, `hvp`, `fdStep`, `fdScheme`, `onCgStop`.
 * @returns float32 `[T, P]`; the caller owns it.
 * @throws MetaLearnError `invalidArgument` when `onCgStop` is given with `T > 1`.
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", eq. 6 and
 *   Algorithm 2; the damping as the official code's `matrix_evaluator` (aravindr93/imaml_dev).
 */
export function solveImplicitTasks(dy: tf.Tensor, phiFlat: tf.Tensor, loss: TaskBatchedLoss, o: ImplicitGradientOptions): tf.Tensor {
  // ((1 + μ) I + H/(λ + δ)) g = dy  ⇔  (I + H/λ') g' = dy with λ' = (1 + μ)(λ + δ), g = g'/(1 + μ):
  // CG runs on the second form, so that its stops (cgSteps 0, non-positive curvature at the first
  // iteration: x = b, the solution for the identity) give dy/(1 + μ), the damped system without H.
  const scale = 1 + (o.cgDamping ?? 0);
  const curvature = scale * (o.lambda + (o.lambdaDamping ?? 0));
  const unscale = (g: tf.Tensor): tf.Tensor => (scale === 1 ? g : tf.div(g, scale));
  if (o.cgSteps === 0) return tf.tidy(() => unscale(tf.clone(dy)));
  const tasks = dy.shape[0]!;
  if (o.onCgStop !== undefined && tasks !== 1) {
    throw new MetaLearnError('invalidArgument', `solveImplicitTasks: options.onCgStop reports one CG solve; it needs T = 1, got T = ${tasks}`);
  }
  return tf.tidy(() => {
    const hvp = taskHvpOperator(loss, phiFlat, {
      mode: o.hvp ?? 'exact', ...(o.fdStep !== undefined && { fdStep: o.fdStep }), ...(o.fdScheme !== undefined && { fdScheme: o.fdScheme }),
    });
    const matvec = (v: tf.Tensor): tf.Tensor => tf.tidy(() => tf.add(v, tf.div(hvp(v), curvature)));
    const cg = { maxIters: o.cgSteps, ...(o.cgTol !== undefined && { tol: o.cgTol }) };
    return unscale(tasks === 1 ? conjugateGradient(matvec, dy, { ...cg, ...(o.onCgStop !== undefined && { onStop: o.onCgStop }) }) : conjugateGradientTasks(matvec, dy, cg));
  });
}
