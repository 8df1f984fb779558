/**
 * R2-D2's inner solver: the head of each task is the closed-form ridge-regression solution on the
 * backbone's support features, and the backbone (with λ, α, β) is meta-trained by
 * differentiating through that solution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getParam, MetaLearnError, subParams, type Adaptation, type ApplyContext, type InnerSolver, type InnerSolverInput, type Params, type TaskSpec } from '@metalearn/core';
import { resolveRidgeSolverOptions, type RidgeSolverOptions } from './options.js';
import { ridgePredict, ridgeWeights, withBiasColumn } from './ridge-regression.js';

/** Names of the ridge solver's meta-parameters in `solverParams` (each a float32 scalar). */
export const RIDGE_PARAMS = {
  /** `ln λ`, the log of the ridge regulariser. */
  logLambda: 'logLambda',
  /** `α`, the output scale. */
  alpha: 'alpha',
  /** `β`, the output offset. */
  beta: 'beta',
} as const;

/** Backbone context of support and query passes: batch statistics (transductive, as MAML). */
const CONTEXT: ApplyContext = { training: true };

/**
 * The ridge-regression inner solver of R2-D2 (plugin name `'ridge'`).
 *
 * For a task with support set `(x_s, y_s)`, `N_s` examples:
 * - features `X = backbone(theta_backbone, x_s)`: `[N_s, D]`, with a constant-1 column appended
 *   (option `bias`, default true): `[N_s, D + 1]`;
 * - targets `Y`: `oneHot(y_s, ways)` (classification) or `y_s` (regression), `[N_s, ways]`;
 * - weights `W = Xᵀ (X Xᵀ + λ I)⁻¹ Y` (Woodbury, when `N_s < D`) or `(Xᵀ X + λ I)⁻¹ Xᵀ Y`
 *   ({@link ridgeWeights}), differentiable through {@link choleskySolve};
 * - predictions `predict(x) = α (X_x W) + β` with `X_x = backbone(theta_backbone, x)` (plus the
 *   bias column): logits for softmax cross-entropy, or regression outputs.
 *
 * Meta-parameters of the solver (`solverParams`, float32 scalars, present when learned):
 * `logLambda = ln λ`, `alpha`, `beta` ({@link RIDGE_PARAMS}); constants from the options otherwise.
 * The head's parameters (`theta/head/...`) are not used: the closed-form `W` replaces the head,
 * so their meta-gradient is absent (pair this solver with any head; a learner may skip updating
 * it). The backbone runs with `{ training: true }` on support and query (batch statistics, the
 * transductive setting of MAML). `metaTraining` does not change the computation (the solve is
 * closed form either way).
 *
 * @param options - see {@link RidgeSolverOptions}; validated.
 * @returns an {@link InnerSolver} named `'ridge'`.
 * @throws MetaLearnError `invalidArgument` on a bad option (naming it).
 * @example
 * const solver = createRidgeSolver({ lambdaInit: 1, form: 'auto' });
 * const solverParams = solver.initParams(0, theta, { kind: 'classification', ways: 5 });
 * const logits = tf.tidy(() => solver.adapt({ backbone, head, theta, solverParams, support, task, metaTraining: true }).predict(query.x));
 * @see Bertinetto, Henriques, Torr & Vedaldi 2018, "Meta-learning with differentiable closed-form
 *   solvers" (ICLR 2019), sec. 3.2.
 */
export function createRidgeSolver(options: RidgeSolverOptions = {}): InnerSolver {
  const o = resolveRidgeSolverOptions(options, 'createRidgeSolver');
  return {
    name: 'ridge',
    initParams(_seed: number, _theta: Params, task: TaskSpec): Params {
      checkTask(task, 'ridge.initParams');
      const p: Record<string, tf.Tensor> = {};
      if (o.learnLambda) p[RIDGE_PARAMS.logLambda] = tf.scalar(Math.log(o.lambdaInit));
      if (o.learnAlpha) p[RIDGE_PARAMS.alpha] = tf.scalar(o.alphaInit);
      if (o.learnBeta) p[RIDGE_PARAMS.beta] = tf.scalar(o.betaInit);
      return p;
    },
    adapt(input: InnerSolverInput): Adaptation {
      const { backbone, theta, solverParams, support, task } = input;
      checkTask(task, 'ridge.adapt');
      const n = checkSupport(support.x, support.y, task);
      const thetaBackbone = subParams('backbone', theta);
      const features = (x: tf.Tensor): tf.Tensor2D => {
        const f = backbone.apply(thetaBackbone, x, CONTEXT);
        if (f.rank !== 2 || f.shape[0] !== x.shape[0]) {
          throw new MetaLearnError('shapeMismatch', `ridge.adapt: backbone '${backbone.name}' must return features [${x.shape[0]}, D], got [${f.shape.join(', ')}]`);
        }
        return o.bias ? withBiasColumn(f) : f;
      };
      const scalar = (name: string, learned: boolean, init: number): tf.Scalar => {
        if (!learned) return tf.scalar(init);
        const t = getParam(solverParams, name, 'ridge.adapt');
        if (t.rank !== 0 || t.dtype !== 'float32') {
          throw new MetaLearnError('shapeMismatch', `ridge.adapt: solverParams.${name} must be a float32 scalar, got ${t.dtype} [${t.shape.join(', ')}]`);
        }
        return t as tf.Scalar;
      };
      const { weights, alpha, beta } = tf.tidy(() => {
        const lambda = o.learnLambda ? tf.exp(scalar(RIDGE_PARAMS.logLambda, true, 0)) : tf.scalar(o.lambdaInit);
        const y = task.kind === 'classification' ? tf.cast(tf.oneHot(support.y as tf.Tensor1D, task.ways), 'float32') : support.y;
        const x = features(support.x);
        if (x.shape[0] !== n) throw new MetaLearnError('shapeMismatch', `ridge.adapt: features must have ${n} rows, got ${x.shape[0]}`);
        return {
          weights: ridgeWeights(x, y, lambda, { form: o.form }),
          alpha: scalar(RIDGE_PARAMS.alpha, o.learnAlpha, o.alphaInit),
          beta: scalar(RIDGE_PARAMS.beta, o.learnBeta, o.betaInit),
        };
      });
      return {
        predict: (x: tf.Tensor): tf.Tensor2D => tf.tidy(() => ridgePredict(features(x), weights, alpha, beta)),
      };
    },
  };
}

function checkTask(task: TaskSpec, caller: string): void {
  if (task.kind !== 'classification' && task.kind !== 'regression') {
    throw new MetaLearnError('invalidArgument', `${caller}: task.kind must be 'classification' or 'regression', got '${String(task.kind)}'`);
  }
  if (!Number.isInteger(task.ways) || task.ways < 1) {
    throw new MetaLearnError('invalidArgument', `${caller}: task.ways must be an integer >= 1, got ${task.ways}`);
  }
}

/**
 * Checks the support set against the task and returns `N_s`.
 * Classification: `y: int32 [N_s]` with values in `[0, ways)`; regression: `y: float32 [N_s, ways]`.
 */
function checkSupport(x: tf.Tensor, y: tf.Tensor, task: TaskSpec): number {
  const n = x.shape[0];
  if (x.rank < 2 || n === undefined || n < 1 || x.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `ridge.adapt: support.x must be float32 [N_s, ...inputShape] with N_s >= 1, got ${x.dtype} [${x.shape.join(', ')}]`);
  }
  if (task.kind === 'classification') {
    if (y.rank !== 1 || y.shape[0] !== n || y.dtype !== 'int32') {
      throw new MetaLearnError('shapeMismatch', `ridge.adapt: support.y must be int32 [${n}] for classification, got ${y.dtype} [${y.shape.join(', ')}]`);
    }
    const labels = y.dataSync();
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      if (!(c >= 0 && c < task.ways)) {
        throw new MetaLearnError('invalidArgument', `ridge.adapt: support.y[${i}] must be a class in [0, ${task.ways}), got ${c}`);
      }
    }
  } else if (y.rank !== 2 || y.shape[0] !== n || y.shape[1] !== task.ways || y.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `ridge.adapt: support.y must be float32 [${n}, ${task.ways}] for regression, got ${y.dtype} [${y.shape.join(', ')}]`);
  }
  return n;
}
