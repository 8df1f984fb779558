/**
 * The gradient solver's inner loop over the `T` tasks of a meta-batch at once: per-task fast
 * weights with a leading task dimension, one task-batched forward and backward pass per inner
 * step instead of `T`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  applyModelTasks, checkTaskBatchInput, paramNames, supportsTaskBatch, taskBatchLosses, tileForTasks, withoutTape,
  type Params, type TaskBatchAdaptation, type TaskBatchInput,
} from '@metalearn/core';
import { checkInnerLrs, innerLrAt, type InnerLrMode } from './inner-lrs.js';
import { planInnerLoop } from './inner-loop-plan.js';
import type { ResolvedGradientSolverOptions } from './options.js';

const CALLER = 'gradient solver.adaptTasks';

/**
 * Gradient-descent adaptation of `T` stacked tasks, task `t` exactly as the per-task inner loop
 * of `createGradientSolver` on task `t` alone (to float32 rounding).
 *
 * Fast weights: each adapted parameter `p ∈ A` is tiled to `phi_0[p] = [theta[p]]_{t<T}`
 * (`[T, ...shape]`, by a broadcast, so the meta-gradient reaching it flows back to `theta[p]`
 * summed over tasks); parameters outside `A` stay shared (`shape`), as theta. Each step
 * `k = 0..K-1` differentiates the task-batched support loss `J(phi_k) = Σ_t L_t(phi_k[t])`: since
 * `L_t` depends only on slice `t`, `∂J/∂phi_k[p][t] = ∂L_t/∂phi_k[p][t]`, each task's own inner
 * gradient, and `phi_{k+1}[p] = phi_k[p] - alpha_{p,k} ∂J/∂phi_k[p]` with `alpha` broadcast over
 * `T` (a number, a learned scalar per tensor and step, or a learned element-wise tensor).
 * Second order records the inner backward passes on the outer tape; first order (and evaluation)
 * computes them off every enclosing tape ({@link withoutTape}). Query predictions use `phi_K` with
 * `innerStep = K`; `stepPredict` and `queryLossWeights` as the per-task solver.
 *
 * @param o - the solver's resolved options.
 * @param mode - which inner learning rates are learned.
 * @param input - the stacked support sets (`support.x: float32 [T, N_s, ...inputShape]`,
 *   `support.y: float32 [T, N_s, O]` or int32 `[T, N_s]`) and `tasks = T`.
 * @returns the task-batched adaptation, or `undefined` when the backbone or head has no
 *   `applyTasks` (the caller then loops over the tasks).
 * @throws MetaLearnError `shapeMismatch` / `invalidArgument` on a malformed input (core's checkTaskBatchInput), as the per-task solver.
 * @see Finn, Abbeel & Levine 2017, Algorithm 2 (inner update per task, eq. 1); Li et al. 2017,
 *   "Meta-SGD", eq. 1; Antoniou, Edwards & Storkey 2018, sec. 4 (LSLR, MSL).
 */
export function adaptTasksByGradientDescent(o: ResolvedGradientSolverOptions, mode: InnerLrMode, input: TaskBatchInput): TaskBatchAdaptation | undefined {
  if (!supportsTaskBatch(input.backbone, input.head)) return undefined;
  const tasks = checkTaskBatchInput(input, CALLER);
  const { names, secondOrder, steps, queryLossWeights } = planInnerLoop(o, input, CALLER);
  checkInnerLrs(CALLER, mode, input.theta, input.solverParams, names);
  const { backbone, head, support, task } = input;

  const adapted = new Set(names);
  let fast: Params = Object.fromEntries(paramNames(input.theta).map((n) => [n, adapted.has(n) ? tileForTasks(input.theta[n]!, tasks) : input.theta[n]!]));
  const path: Params[] = [];
  for (let k = 0; k < steps; k++) {
    const at = fast;
    const innerGradients = (): (tf.Tensor | null)[] => {
      const { value, grads } = tf.engine().gradients(
        () => tf.sum(taskBatchLosses(task.kind, applyModelTasks(backbone, head, at, support.x, { training: true, innerStep: k }), support.y)) as tf.Scalar,
        names.map((n) => at[n]!),
        undefined,
        true,
      );
      value.dispose();
      return grads as (tf.Tensor | null)[];
    };
    // First order: off every enclosing tape (constants for the outer tape, see withoutTape).
    const grads = secondOrder ? innerGradients() : withoutTape(innerGradients);
    const next: Record<string, tf.Tensor> = { ...fast };
    names.forEach((n, i) => {
      const g = grads[i];
      if (g === undefined || g === null) return; // the support loss does not depend on n: zero gradient
      next[n] = tf.sub(fast[n]!, tf.mul(g, innerLrAt(mode, input.solverParams, n, k)));
    });
    fast = next;
    path.push(fast);
  }

  const finalWeights = fast;
  const predictAt = (params: Params, innerStep: number, x: tf.Tensor): tf.Tensor3D =>
    applyModelTasks(backbone, head, params, x, { training: true, innerStep });
  return {
    predict: (x: tf.Tensor) => predictAt(finalWeights, steps, x),
    fastWeights: finalWeights,
    stepPredict: (x: tf.Tensor) => path.map((p, i) => predictAt(p, i + 1, x)),
    ...(queryLossWeights !== undefined ? { queryLossWeights } : {}),
  };
}
