/**
 * The context inner solver of CAVIA: only a small context vector is adapted per task; the model's
 * parameters theta change in the outer loop only.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  detach,
  MetaLearnError, applyModel, mapParams, taskLoss,
  type Adaptation, type InnerSolver, type InnerSolverInput, type Params,
} from '@metalearn/core';
import { resolveContextSolverOptions, type ContextSolverOptions, type ResolvedContextSolverOptions } from './options.js';

/** The registry name of the context solver. */
export const CONTEXT_SOLVER = 'context';

/**
 * What the context solver returns: an {@link Adaptation} and the adapted context.
 * - `context`: float32 `[C]`, `phi_K` (a constant of the meta-gradient in first order).
 * - `predict(x)`: `f_theta(x; phi_K)`, float32 `[B, outDim]`.
 */
export interface ContextAdaptation extends Adaptation {
  readonly context: tf.Tensor1D;
}

/** CAVIA's context solver: an {@link InnerSolver} whose `adapt` also returns the adapted context. */
export interface ContextSolver extends InnerSolver {
  adapt(input: InnerSolverInput): ContextAdaptation;
}

/**
 * Creates CAVIA's context solver.
 *
 * Inner loop, per task, on the support set `(x_s, y_s)` with `theta` fixed:
 * `phi_0 = 0` (float32 `[C]`, reset for every task), and for `k = 0..K-1`
 * `phi_{k+1} = phi_k - alpha * ∂L(f_theta(x_s; phi_k), y_s) / ∂phi_k`,
 * where `f_theta(x; phi)` is the composed model with `ctx.context = phi` (core's MLP concatenates
 * `phi` to every input; Conv-4 with `contextDim` modulates one block by FiLM). Queries are
 * predicted by `f_theta(x; phi_K)`. `theta` is never changed here: it is meta-trained by the
 * learner through the query loss, `dL_q/dtheta = ∂L_q/∂theta + (∂phi_K/∂theta)^T ∂L_q/∂phi_K`.
 * - `order: 'second'` (CAVIA): the inner gradients are differentiated too (tfjs records them on
 *   the outer tape), so `∂phi_K/∂theta = -alpha Σ_k (∂²L_s/∂theta∂phi)(...)` through every step,
 *   exactly;
 * - `order: 'first'`, and `metaTraining: false`: the inner loop runs on tape-free aliases of
 *   `theta` ({@link detach}), so `phi_K` is a constant and `dL_q/dtheta = ∂L_q/∂theta` at `phi_K`.
 * The solver has no meta-parameters of its own (`initParams` gives `{}`): the context starts at
 * zero, as in CAVIA, and the inner learning rate is a constant.
 *
 * @param options - see {@link ContextSolverOptions}.
 * @returns a {@link ContextSolver} named `'context'` (its `adapt` gives a {@link ContextAdaptation}).
 * @throws MetaLearnError `invalidArgument` naming the offending option.
 * @example
 * const backbone = createMlp({ inputDim: 1, hiddenSizes: [40, 40], contextDim: 5 });
 * const learner = createLearner({ backbone, head: createLinearHead(), task: { kind: 'regression', ways: 1 },
 *   solver: createContextSolver({ contextDim: 5, innerLr: 1, innerSteps: 1 }), seed: 0, outerLr: 1e-3 });
 * @see Zintgraf, Shiarlis, Kurin, Hofmann & Whiteson 2019, "Fast Context Adaptation via
 *   Meta-Learning", Algorithm 1 and eq. 2-3 (inner update of the context, outer update of theta),
 *   sec. 4 (context reset to zero per task).
 */
export function createContextSolver(options: ContextSolverOptions = {}): ContextSolver {
  const o = resolveContextSolverOptions(options);
  return {
    name: CONTEXT_SOLVER,
    initParams(): Params {
      return {};
    },
    adapt(input: InnerSolverInput): ContextAdaptation {
      return adaptContext(o, input);
    },
  };
}

/**
 * CAVIA's inner loop for one task (see {@link createContextSolver}).
 * @param o - resolved options.
 * @param input - the solver's input; `solverParams` is ignored (the solver has none).
 * @returns the adaptation and the context `phi_K`; tensors in the caller's scope.
 * @throws MetaLearnError `invalidArgument` on a malformed support set, or when the model does not
 *   read the context; `unsupported` (from the backbone) when it takes no context.
 */
export function adaptContext(o: ResolvedContextSolverOptions, input: InnerSolverInput): ContextAdaptation {
  const caller = 'context solver.adapt';
  checkInput(input, caller);
  const { backbone, head, support, task } = input;
  const secondOrder = input.metaTraining && o.order === 'second';
  const steps = input.metaTraining ? o.innerSteps : o.evalInnerSteps;
  const supportLossAt = (theta: Params, context: tf.Tensor): tf.Scalar =>
    taskLoss(task.kind, applyModel(backbone, head, theta, support.x, { training: true, context }), support.y);
  const contextGradient = (theta: Params, context: tf.Tensor, k: number): tf.Tensor => {
    const { value, grads } = tf.engine().gradients(() => supportLossAt(theta, context), [context], undefined, true);
    value.dispose();
    const g = grads[0];
    if (g === undefined || g === null) {
      throw new MetaLearnError('invalidArgument', `${caller}: the support loss does not depend on the context at inner step ${k} (does the backbone read ctx.context? build it with contextDim = ${o.contextDim})`);
    }
    return g;
  };

  let context = tf.zeros([o.contextDim]) as tf.Tensor1D;
  if (secondOrder) {
    for (let k = 0; k < steps; k++) context = tf.sub(context, tf.mul(contextGradient(input.theta, context, k), o.innerLr)) as tf.Tensor1D;
  } else {
    const thetaAlias = mapParams(input.theta, (t) => detach(t));
    try {
      for (let k = 0; k < steps; k++) {
        const previous = context;
        context = tf.tidy(() => tf.sub(previous, tf.mul(contextGradient(thetaAlias, previous, k), o.innerLr)) as tf.Tensor1D);
        previous.dispose();
      }
    } finally {
      for (const t of Object.values(thetaAlias)) t.dispose();
    }
  }
  const adapted = context;
  return {
    context: adapted,
    predict: (x: tf.Tensor) => applyModel(backbone, head, input.theta, x, { training: true, context: adapted }),
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
  if (task?.kind !== 'classification' && task?.kind !== 'regression') {
    throw new MetaLearnError('invalidArgument', `${caller}: input.task.kind must be 'classification' or 'regression', got '${String(task?.kind)}'`);
  }
}
