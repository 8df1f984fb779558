/**
 * The implicit inner solver (iMAML): a proximally regularised inner problem solved off the tape,
 * and the meta-gradient from the implicit function theorem.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  applyModel, disposeParams, MetaLearnError, taskLoss,
  type Adaptation, type ApplyContext, type InnerSolver, type InnerSolverInput, type Params, type TaskBatchAdaptation, type TaskBatchInput, type TaskSpec,
} from '@metalearn/core';
import { implicitFastWeights } from './implicit-gradient.js';
import { implicitGradientOptionsOf, resolveImplicitSolverOptions, type ImplicitSolverOptions } from './options.js';
import { solveProximal, type ParamsLoss } from './proximal.js';
import { adaptTasksImplicit } from './task-batched.js';

/** The solver's registry name. */
export const IMPLICIT_SOLVER = 'implicit';

/**
 * Backbone context of the support loss and of query predictions: batch statistics (transductive,
 * as MAML), one fixed context for every inner step, so that the inner objective is one function
 * of `phi` (the optimality condition needs a fixed objective; MAML++'s per-step batch-norm sets do
 * not apply).
 */
const CONTEXT: ApplyContext = { training: true };

/**
 * Creates the implicit inner solver of iMAML (plugin name `'implicit'`), for core's backprop learner.
 *
 * Inner problem of a task with support set `(x_s, y_s)`, over every parameter of the model:
 * `phi* = argmin_phi G(phi) = L_support(phi) + (λ/2) ||phi - theta||²`,
 * with `L_support(phi) = taskLoss(f_phi(x_s), y_s)`. It is solved approximately by `innerSteps`
 * steps of `innerOptimizer` (default plain gradient descent, `phi_{j+1} = phi_j - innerLr ∇G(phi_j)`)
 * from `phi_0 = theta`, off every gradient tape ({@link solveProximal}): memory does not grow with
 * the number of steps. The solution satisfies the optimality condition
 * `∇L_support(phi*) + λ (phi* - theta) = 0` (approximately: exactly only in the limit of the inner
 * optimizer's convergence).
 *
 * Meta-gradient (`metaTraining: true`): the fast weights are
 * {@link implicitFastWeights}`(theta, phi*)`, so the gradient of any query loss `L_query(phi*)`
 * with respect to `theta` is `(I + H/λ)⁻¹ ∇_phi L_query(phi*)`, `H = ∇²L_support(phi*)` (damped:
 * `cgDamping`, `lambdaDamping`), solved by `cgSteps` conjugate-gradient iterations on
 * Hessian-vector products (`hvp`: exact or finite difference). Undamped (`cgDamping` =
 * `lambdaDamping` = 0, the defaults), it is the exact gradient of `L_query(phi*(theta))` when
 * `phi*` is the exact inner optimum and CG has converged (damped, it is the official code's
 * surrogate `((1 + μ) I + H/(λ + δ))⁻¹ ∇_phi L_query`); with a truncated inner loop it is the
 * gradient of the ideal meta-objective at an approximate solution (the paper's Theorem 1 bounds
 * the error by the inner and CG tolerances), not the derivative of the truncated loop. At evaluation
 * (`metaTraining: false`) the fast weights are `phi*` itself (`evalInnerSteps` steps), with no
 * gradient path.
 *
 * Task-batched (`adaptTasks`, {@link adaptTasksImplicit}): the `T` same-shaped tasks of a
 * meta-batch adapted in one computation when the backbone and head have `applyTasks` (MLP and
 * linear head): per-task fast weights `[T, ...shape]`, the proximal inner loops as one loop on
 * `Σ_t L_t`, and the implicit meta-gradient's CG for all tasks at once on batched HVPs with
 * per-task scalars on the device. It declines (returns `undefined`: core's meta-objective then
 * loops over the tasks with `adapt`) for a backbone or head without `applyTasks` (Conv-4).
 *
 * Has no meta-parameters of its own (`initParams` returns `{}`).
 *
 * @param options - see {@link ImplicitSolverOptions}; validated with zod.
 * @returns an {@link InnerSolver} named `'implicit'`.
 * @throws MetaLearnError `invalidArgument` on a bad option (naming it).
 * @example
 * const learner = createLearner({ backbone: createConv4({ inputShape: [28, 28, 1] }), head: createLinearHead(),
 *   solver: createImplicitSolver({ lambda: 2, innerSteps: 16, innerLr: 0.1, cgSteps: 5 }),
 *   task: { kind: 'classification', ways: 5 }, seed: 0, outerLr: 1e-3 });
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", eq. 4
 *   (proximal inner problem), Lemma 1 / eq. 5-6 (implicit meta-gradient), Algorithm 2, Theorem 1.
 */
export function createImplicitSolver(options: ImplicitSolverOptions = {}): InnerSolver {
  const o = resolveImplicitSolverOptions(options, 'createImplicitSolver');
  return {
    name: IMPLICIT_SOLVER,
    initParams(_seed: number, _theta: Params, _task: TaskSpec): Params {
      return {};
    },
    adapt(input: InnerSolverInput): Adaptation {
      const caller = 'implicit solver.adapt';
      checkInput(input, caller);
      const { backbone, head, support, task, theta } = input;
      const supportLoss: ParamsLoss = (phi) => taskLoss(task.kind, applyModel(backbone, head, phi, support.x, CONTEXT), support.y);
      const steps = input.metaTraining ? o.innerSteps : o.evalInnerSteps;
      const phiStar = solveProximal(supportLoss, theta, {
        lambda: o.lambda, steps, lr: o.innerLr, optimizer: o.innerOptimizer, momentum: o.innerMomentum,
      });
      let phi: Params = phiStar;
      if (input.metaTraining) {
        phi = implicitFastWeights(theta, phiStar, supportLoss, implicitGradientOptionsOf(o));
        disposeParams(phiStar);
      }
      return {
        predict: (x: tf.Tensor) => applyModel(backbone, head, phi, x, CONTEXT),
        fastWeights: phi,
      };
    },
    adaptTasks(input: TaskBatchInput): TaskBatchAdaptation | undefined {
      return adaptTasksImplicit(o, input, CONTEXT);
    },
  };
}

function checkInput(input: InnerSolverInput, caller: string): void {
  if (input === null || typeof input !== 'object') throw new MetaLearnError('invalidArgument', `${caller}: input must be an InnerSolverInput object`);
  const { support, task } = input;
  if (!(support?.x instanceof tf.Tensor) || !(support?.y instanceof tf.Tensor)) {
    throw new MetaLearnError('invalidArgument', `${caller}: input.support must have tensors x and y`);
  }
  if (support.x.isDisposed || support.y.isDisposed) throw new MetaLearnError('invalidArgument', `${caller}: input.support.x and .y must not be disposed`);
  if (support.x.rank < 1 || support.x.shape[0] !== support.y.shape[0] || support.x.shape[0] === 0) {
    throw new MetaLearnError('shapeMismatch', `${caller}: input.support.x [${support.x.shape.join(', ')}] and input.support.y [${support.y.shape.join(', ')}] must have the same number N_s >= 1 of examples`);
  }
  if (task?.kind !== 'classification' && task?.kind !== 'regression') {
    throw new MetaLearnError('invalidArgument', `${caller}: input.task.kind must be 'classification' or 'regression', got '${String(task?.kind)}'`);
  }
}
