/**
 * MetaOptNet's inner solver: the head of each task is a multi-class linear SVM fitted to the
 * backbone's support features (its dual QP solved by quadprog), and the backbone is meta-trained
 * by differentiating the SVM's solution through its KKT conditions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getParam, MetaLearnError, subParams, type Adaptation, type ApplyContext, type InnerSolver, type InnerSolverInput, type Params, type TaskSpec } from '@metalearn/core';
import { resolveSvmSolverOptions, type SvmSolverOptions } from './options.js';
import { svmDual } from './svm-dual-op.js';
import { svmScores } from './svm-scores.js';

/** Names of the SVM solver's meta-parameters in `solverParams` (float32 scalars, present when learned). */
export const SVM_PARAMS = {
  /** `γ`, the scale of the logits. */
  scale: 'scale',
} as const;

/** Backbone context of support and query passes: batch statistics (transductive, as MAML and R2-D2 here). */
const CONTEXT: ApplyContext = { training: true };

/**
 * The multi-class SVM inner solver of MetaOptNet (plugin name `'svm'`).
 *
 * For a classification task with support set `(x_s, y_s)`, `N_s` examples, `W` ways:
 * - features `X = backbone(theta_backbone, x_s)`: `[N_s, D]`; Gram matrix `K = X Xᵀ`;
 * - `α = svmDual(K, y_s)`: `[N_s, W]`, the Crammer–Singer SVM dual solved by quadprog with
 *   regularisation `C` and Gram ridge `ε` (see {@link solveSvmDual}), differentiable in `K`
 *   through its KKT conditions ({@link svmDualBackward});
 * - `predict(x) = γ X_x (Xᵀ α)` with `X_x = backbone(theta_backbone, x)`: logits `[B, W]`
 *   ({@link svmScores}); the SVM's weights are `w_k = Σ_i α_ik x_i`.
 * The meta-gradient reaches the backbone through `K` (the QP) and through `X` in the scores, and
 * `γ` (`solverParams.scale`, when learned) directly.
 *
 * The head's parameters (`theta/head/...`) are not used (the SVM replaces the head). The backbone
 * runs with `{ training: true }` on support and query (batch statistics, as the R2-D2 solver).
 * `metaTraining` does not change the computation (the QP is solved exactly either way).
 * Classification only: a regression task throws `unsupported`.
 *
 * @param options - see {@link SvmSolverOptions}; validated.
 * @returns an {@link InnerSolver} named `'svm'`.
 * @throws MetaLearnError `invalidArgument` on a bad option (naming it).
 * @example
 * const solver = createSvmSolver({ C: 0.1 });
 * const solverParams = solver.initParams(0, theta, { kind: 'classification', ways: 5 });
 * const logits = tf.tidy(() => solver.adapt({ backbone, head, theta, solverParams, support, task, metaTraining: true }).predict(query.x));
 * @see Lee, Maji, Ravichandran & Soatto 2019, "Meta-Learning with Differentiable Convex
 *   Optimization" (CVPR), sec. 3.3–3.4; official code `MetaOptNetHead_SVM_CS` (kjunelee/MetaOptNet).
 */
export function createSvmSolver(options: SvmSolverOptions = {}): InnerSolver {
  const o = resolveSvmSolverOptions(options, 'createSvmSolver');
  return {
    name: 'svm',
    initParams(_seed: number, _theta: Params, task: TaskSpec): Params {
      checkTask(task, 'svm.initParams');
      return o.learnScale ? { [SVM_PARAMS.scale]: tf.scalar(o.scaleInit) } : {};
    },
    adapt(input: InnerSolverInput): Adaptation {
      const { backbone, theta, solverParams, support, task } = input;
      checkTask(task, 'svm.adapt');
      const labels = checkSupport(support.x, support.y, task);
      const thetaBackbone = subParams('backbone', theta);
      const features = (x: tf.Tensor): tf.Tensor2D => {
        const f = backbone.apply(thetaBackbone, x, CONTEXT);
        if (f.rank !== 2 || f.shape[0] !== x.shape[0]) {
          throw new MetaLearnError('shapeMismatch', `svm.adapt: backbone '${backbone.name}' must return features [${x.shape[0]}, D], got [${f.shape.join(', ')}]`);
        }
        return f;
      };
      let scale: tf.Scalar | undefined;
      if (o.learnScale) {
        const t = getParam(solverParams, SVM_PARAMS.scale, 'svm.adapt');
        if (t.rank !== 0 || t.dtype !== 'float32') {
          throw new MetaLearnError('shapeMismatch', `svm.adapt: solverParams.${SVM_PARAMS.scale} must be a float32 scalar, got ${t.dtype} [${t.shape.join(', ')}]`);
        }
        scale = t as tf.Scalar;
      }
      const state = tf.tidy(() => {
        const xs = features(support.x);
        const alpha = svmDual(tf.matMul(xs, xs, false, true), labels, task.ways, { C: o.C, ridge: o.ridge });
        return { xs, alpha, scale: scale ?? tf.scalar(o.scaleInit) };
      });
      return {
        predict: (x: tf.Tensor): tf.Tensor2D => tf.tidy(() => svmScores(features(x), state.xs, state.alpha, state.scale)),
      };
    },
  };
}

function checkTask(task: TaskSpec, caller: string): void {
  if (task.kind !== 'classification') {
    throw new MetaLearnError('unsupported', `${caller}: the SVM head classifies; task.kind must be 'classification', got '${String(task.kind)}'`);
  }
  if (!Number.isInteger(task.ways) || task.ways < 2) {
    throw new MetaLearnError('invalidArgument', `${caller}: task.ways must be an integer >= 2, got ${task.ways}`);
  }
}

/** Checks `x: float32 [N_s, ...]` and `y: int32 [N_s]` in `[0, ways)`; returns the labels. */
function checkSupport(x: tf.Tensor, y: tf.Tensor, task: TaskSpec): Int32Array {
  const n = x.shape[0];
  if (x.rank < 2 || n === undefined || n < 1 || x.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `svm.adapt: support.x must be float32 [N_s, ...inputShape] with N_s >= 1, got ${x.dtype} [${x.shape.join(', ')}]`);
  }
  if (y.rank !== 1 || y.shape[0] !== n || y.dtype !== 'int32') {
    throw new MetaLearnError('shapeMismatch', `svm.adapt: support.y must be int32 [${n}], got ${y.dtype} [${y.shape.join(', ')}]`);
  }
  const labels = Int32Array.from(y.dataSync());
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!(c >= 0 && c < task.ways)) throw new MetaLearnError('invalidArgument', `svm.adapt: support.y[${i}] must be a class in [0, ${task.ways}), got ${c}`);
  }
  return labels;
}
