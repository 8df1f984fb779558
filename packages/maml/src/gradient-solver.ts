/**
 * The gradient-descent inner solver: MAML and its variants as options of one solver.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  MetaLearnError, applyModel, taskLoss, withoutTape,
  type Adaptation, type InnerSolver, type InnerSolverInput, type Params, type TaskBatchAdaptation, type TaskBatchInput, type TaskSpec,
} from '@metalearn/core';
import { checkInnerLrs, initInnerLrs, innerLrAt, type InnerLrMode } from './inner-lrs.js';
import { adaptedNames, planInnerLoop } from './inner-loop-plan.js';
import { adaptTasksByGradientDescent } from './task-batched.js';
import { resolveGradientSolverOptions, type GradientSolverOptions, type ResolvedGradientSolverOptions } from './options.js';

const SOLVER = 'gradient solver';

export { adaptedNames };

/**
 * Creates the gradient-descent inner solver.
 *
 * Inner loop, for `k = 0..K-1`, over the adapted parameters `A` (all, or those matching
 * `options.adapt`), the others held at `theta`:
 * `phi_0 = theta`, `phi_{k+1}[p] = phi_k[p] - alpha_{p,k} * ∂L_support(phi_k; innerStep = k) / ∂phi_k[p]`
 * for `p ∈ A`, with `alpha_{p,k}` = `innerLr` (MAML), a learned element-wise tensor (Meta-SGD), a
 * learned scalar per tensor and step (MAML++ LSLR) or a learned tensor per step (both).
 * Query predictions use `phi_K` with `innerStep = K` (`ctx.innerStep` counts the updates applied).
 * With MAML++ per-step batch norm ("BNWB", Conv-4's `normSteps`), `K + 1` sets give the query its
 * own set; with `K` sets Conv-4 clamps the index, so the query shares the last support step's set,
 * as in the MAML++ reference code. The reference code does not adapt batch-norm parameters in the
 * inner loop: `adapt: '^(?!backbone/norm)'` does the same here.
 *
 * Meta-gradient (the caller differentiates the query loss of `predict`):
 * - `order: 'second'` (MAML): the inner gradients are differentiated too (tfjs records the inner
 *   backward pass on the outer tape), giving `dL/dtheta = Π_k (I - alpha H_k) ∇_phi L_query`;
 * - `order: 'first'` (FOMAML), `metaTraining: false`, and meta-steps before
 *   `derivativeOrderAnnealing.firstOrderUntil`: the inner gradients are constants (computed off
 *   every enclosing tape, see {@link withoutTape}: memory flat in the inner steps), so `dphi_K/dtheta = I` on `A` and no
 *   second-order graph is built; learned rates still get `dL/dalpha_{p,k} = -g_{p,k} · ∂L/∂phi_{k+1}[p]`.
 * - `multiStepLoss` (MAML++ MSL): `stepPredict` gives predictions after each step and
 *   `queryLossWeights` the annealed weights ({@link multiStepLossWeights}) while
 *   `metaStep < annealSteps` in meta-training.
 * - `adaptTasks` (task-batched, `adaptTasksByGradientDescent` in task-batched.ts): the same inner loop for the
 *   `T` stacked tasks of a meta-batch at once, when the backbone and head have `applyTasks`.
 *
 * @param options - see {@link GradientSolverOptions}.
 * @returns an {@link InnerSolver} named `'gradient'`.
 * @throws MetaLearnError `invalidArgument` naming the offending option.
 * @example
 * const maml = createGradientSolver({ innerSteps: 1, innerLr: 0.01 });           // MAML
 * const fomaml = createGradientSolver({ innerSteps: 5, order: 'first' });         // FOMAML
 * const metaSgd = createGradientSolver({ metaSgd: true });                        // Meta-SGD
 * const anil = createGradientSolver({ adapt: '^head/' });                         // ANIL
 * const mamlpp = createGradientSolver({ innerSteps: 5, perStepLrs: true,
 *   multiStepLoss: { annealSteps: 1000 }, derivativeOrderAnnealing: { firstOrderUntil: 500 } }); // MAML++
 * @see Finn, Abbeel & Levine 2017, "Model-Agnostic Meta-Learning", Algorithm 1 and eq. 1;
 *   Li et al. 2017, "Meta-SGD", eq. 1; Raghu et al. 2019, "Rapid Learning or Feature Reuse?" (ANIL);
 *   Antoniou, Edwards & Storkey 2018, "How to train your MAML", sec. 4.
 */
export function createGradientSolver(options: GradientSolverOptions = {}): InnerSolver {
  const o = resolveGradientSolverOptions(options);
  const mode: InnerLrMode = { metaSgd: o.metaSgd, perStepLrs: o.perStepLrs, innerSteps: o.innerSteps, innerLr: o.innerLr };
  return {
    name: 'gradient',
    initParams(_seed: number, theta: Params, _task: TaskSpec): Params {
      return initInnerLrs(mode, theta, adaptedNames(o, theta, `${SOLVER}.initParams`));
    },
    adapt(input: InnerSolverInput): Adaptation {
      return adaptByGradientDescent(o, mode, input);
    },
    adaptTasks(input: TaskBatchInput): TaskBatchAdaptation | undefined {
      return adaptTasksByGradientDescent(o, mode, input);
    },
  };
}

/**
 * The support loss of `params` and its gradients w.r.t. the tensors `params[name]`, `name ∈ names`.
 * Gradients of parameters the loss does not depend on are `undefined` (zero).
 */
function supportGradients(input: InnerSolverInput, params: Params, names: readonly string[], innerStep: number): (tf.Tensor | undefined)[] {
  const xs = names.map((n) => params[n]!);
  const { value, grads } = tf.engine().gradients(
    () => taskLoss(input.task.kind, applyModel(input.backbone, input.head, params, input.support.x, { training: true, innerStep }), input.support.y),
    xs,
    undefined,
    true,
  );
  value.dispose();
  return grads as (tf.Tensor | undefined)[];
}

/** The inner loop and the {@link Adaptation} it yields. */
function adaptByGradientDescent(o: ResolvedGradientSolverOptions, mode: InnerLrMode, input: InnerSolverInput): Adaptation {
  const caller = `${SOLVER}.adapt`;
  checkInput(input, caller);
  const { names, secondOrder, steps, queryLossWeights } = planInnerLoop(o, input, caller);
  checkInnerLrs(caller, mode, input.theta, input.solverParams, names);

  const path: Params[] = [];
  let fast: Params = input.theta;
  for (let k = 0; k < steps; k++) {
    // First order: the inner forward/backward runs off every enclosing tape, so the gradients are
    // constants for the outer tape (the same values as stopGradient(∇L)), nothing of it is
    // recorded or kept alive there, and each inner gradient filters a tape of its own step only.
    const current = fast;
    const grads = secondOrder ? supportGradients(input, current, names, k) : withoutTape(() => supportGradients(input, current, names, k));
    const next: Record<string, tf.Tensor> = { ...fast };
    names.forEach((n, i) => {
      const g = grads[i];
      if (g === undefined) return; // the support loss does not depend on n: zero gradient
      const lr = innerLrAt(mode, input.solverParams, n, k);
      next[n] = tf.sub(fast[n]!, tf.mul(g, lr));
    });
    fast = next;
    path.push(fast);
  }

  const finalWeights = fast;
  const predictAt = (params: Params, innerStep: number, x: tf.Tensor): tf.Tensor2D =>
    applyModel(input.backbone, input.head, params, x, { training: true, innerStep });
  return {
    predict: (x: tf.Tensor) => predictAt(finalWeights, steps, x),
    fastWeights: finalWeights,
    stepPredict: (x: tf.Tensor) => path.map((p, i) => predictAt(p, i + 1, x)),
    ...(queryLossWeights !== undefined ? { queryLossWeights } : {}),
  };
}

function checkInput(input: InnerSolverInput, caller: string): void {
  const { support, task } = input;
  if (!(support?.x instanceof tf.Tensor) || !(support?.y instanceof tf.Tensor)) {
    throw new MetaLearnError('invalidArgument', `${caller}: input.support must have tensors x and y`);
  }
  if (support.x.isDisposed || support.y.isDisposed) throw new MetaLearnError('invalidArgument', `${caller}: input.support.x and .y must not be disposed`);
  if (support.x.rank < 1 || support.x.shape[0] !== support.y.shape[0] || support.x.shape[0] === 0) {
    throw new MetaLearnError('shapeMismatch', `${caller}: input.support.x [${support.x.shape.join(', ')}] and input.support.y [${support.y.shape.join(', ')}] must have the same number N_s >= 1 of examples`);
  }
  if (task.kind !== 'classification' && task.kind !== 'regression') {
    throw new MetaLearnError('invalidArgument', `${caller}: input.task.kind must be 'classification' or 'regression', got '${String(task.kind)}'`);
  }
}
