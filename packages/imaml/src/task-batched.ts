/**
 * The implicit solver over the `T` tasks of a meta-batch at once: the proximal inner loops as one
 * task-batched computation (per-task fast weights with a leading task dimension), and the
 * implicit meta-gradient's conjugate gradient for every task in one batched solve.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  applyModelTasks, checkTaskBatchInput, disposeParams, MetaLearnError, paramNames, supportsTaskBatch, taskBatchLosses, tileForTasks, withoutTape,
  type ApplyContext, type Params, type TaskBatchAdaptation, type TaskBatchInput,
} from '@metalearn/core';
import { implicitTaskFastWeights } from './implicit-gradient-tasks.js';
import { implicitGradientOptionsOf, type ResolvedImplicitSolverOptions } from './options.js';
import { solveProximal, type ParamsLoss } from './proximal.js';

const CALLER = 'implicit solver.adaptTasks';

/**
 * iMAML's adaptation of `T` stacked tasks, task `t` exactly as `createImplicitSolver(o).adapt`
 * on task `t` alone (to float32 rounding).
 *
 * Inner problems: with `J(phi) = Σ_t L_t(phi_t)`, `L_t` task `t`'s support loss of its own fast
 * weights `phi_t = phi[·][t]` (core's `taskBatchLosses` on `applyModelTasks`), and the centre
 * `theta` tiled to `[T, ...shape]`, {@link solveProximal} minimises
 * `J(phi) + (λ/2) Σ_t ||phi_t - theta||²` from `phi_0 = theta` (tiled) off every tape. Its gradient
 * `∂/∂phi_t = ∇L_t(phi_t) + λ (phi_t - theta)` is task `t`'s own proximal gradient, and every
 * inner optimizer (SGD, momentum, Nesterov, Adam) acts element-wise, so row `t` follows task `t`'s
 * own inner loop. Context: batch statistics (`training: true`), one context for every step, as `adapt`.
 *
 * Meta-gradient (`metaTraining: true`): {@link implicitTaskFastWeights}, so the gradient of the
 * summed query losses w.r.t. theta is `Σ_t (I + H_t/λ)⁻¹ ∇L_query,t(phi*_t)` (damped:
 * `((1 + μ) I + H_t/(λ + δ))⁻¹`, see `cgDamping`), every task's CG
 * (`cgSteps`, `cgTol`) run together on batched HVPs (`hvp`: exact, or finite difference with a
 * per-task probe `fdStep / ||v_t||`) with per-task scalars and no host read. At evaluation the
 * fast weights are `phi*` itself (`evalInnerSteps` steps).
 *
 * Declines (returns `undefined`, the caller then loops over the tasks with `adapt`): a backbone or
 * head without `applyTasks` (Conv-4, ResNet-12). Uneven meta-batches never reach it (core stacks
 * only same-shaped tasks).
 *
 * @param o - the solver's resolved options.
 * @param input - stacked support sets: `support.x: float32 [T, N_s, ...inputShape]`,
 *   `support.y: float32 [T, N_s, O]` (regression) or int32 `[T, N_s]` (classification); `tasks = T`.
 * @param context - the backbone context of the support loss and of predictions (the solver's, as `adapt`).
 * @returns the task-batched adaptation (`fastWeights`: every parameter `[T, ...shape]`), or `undefined`.
 * @throws MetaLearnError `invalidArgument` / `shapeMismatch` on a malformed input.
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", eq. 4
 *   (proximal inner problem), eq. 6 and Algorithm 2 (implicit meta-gradient per task, CG).
 */
export function adaptTasksImplicit(o: ResolvedImplicitSolverOptions, input: TaskBatchInput, context: ApplyContext): TaskBatchAdaptation | undefined {
  if (!supportsTaskBatch(input.backbone, input.head)) return undefined;
  const tasks = checkTaskBatchInput(input, CALLER);
  const { backbone, head, support, task, theta } = input;
  const names = paramNames(theta);
  if (names.length === 0) throw new MetaLearnError('invalidArgument', `${CALLER}: theta has no parameter`);
  const lossOf = (phi: Params, x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
    tf.tidy(() => tf.sum(taskBatchLosses(task.kind, applyModelTasks(backbone, head, phi, x, context), y)) as tf.Scalar);
  const supportLoss: ParamsLoss = (phi) => lossOf(phi, support.x, support.y);
  const steps = input.metaTraining ? o.innerSteps : o.evalInnerSteps;
  // The proximal centre, theta per task: a constant (never on the outer tape).
  const centre: Params = withoutTape(() => Object.fromEntries(names.map((n) => [n, tileForTasks(theta[n]!, tasks)])));
  let phiStar: Params;
  try {
    phiStar = solveProximal(supportLoss, centre, { lambda: o.lambda, steps, lr: o.innerLr, optimizer: o.innerOptimizer, momentum: o.innerMomentum });
  } finally {
    disposeParams(centre);
  }
  let phi: Params = phiStar;
  if (input.metaTraining) {
    // The backward pass reads the support set from the op's saved tensors: core stacks it inside the
    // forward pass, whose scope frees it before the backward pass runs.
    phi = implicitTaskFastWeights(theta, phiStar, (p, [x, y]) => lossOf(p, x!, y!), [support.x, support.y], tasks, implicitGradientOptionsOf(o));
    disposeParams(phiStar);
  }
  return {
    predict: (x: tf.Tensor) => applyModelTasks(backbone, head, phi, x, context),
    fastWeights: phi,
  };
}
