/**
 * The meta-objective of one task and its gradient with respect to every meta-parameter, as the
 * conformance suite computes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import type { LabelledSet, TaskKind } from '../episode.js';
import type { Head } from '../head.js';
import type { Adaptation, InnerSolver, TaskSpec } from '../inner-solver.js';
import { taskLoss } from '../losses.js';
import { paramNames, prefixParams, subParams, type Params } from '../params.js';

/**
 * The query loss of an adaptation (the meta-objective of one task):
 * `L = sum_k w_k loss(stepPredict(x_q)[k], y_q)` when the adaptation gives `queryLossWeights` and
 * `stepPredict` (MAML++ multi-step loss), else `L = loss(predict(x_q), y_q)`; plus `regulariser`
 * when present. `loss` is {@link taskLoss}: cross-entropy (nats) or mean squared error.
 * @param adaptation - what `solver.adapt` returned.
 * @param query - the query set.
 * @param kind - classification or regression.
 * @returns a scalar on the caller's gradient tape.
 */
export function adaptationLoss(adaptation: Adaptation, query: LabelledSet, kind: TaskKind): tf.Scalar {
  return tf.tidy(() => {
    let loss: tf.Scalar;
    const w = adaptation.queryLossWeights;
    if (w !== undefined && adaptation.stepPredict !== undefined) {
      const preds = adaptation.stepPredict(query.x);
      loss = preds.reduce((acc: tf.Scalar, p, k) => tf.add(acc, tf.mul(taskLoss(kind, p, query.y), w[k] ?? 0)), tf.scalar(0));
    } else {
      loss = taskLoss(kind, adaptation.predict(query.x), query.y);
    }
    return adaptation.regulariser === undefined ? loss : tf.add(loss, adaptation.regulariser);
  });
}

/** Everything one evaluation of the meta-objective needs. */
export interface SolverProblem {
  readonly solver: InnerSolver;
  readonly backbone: Backbone;
  readonly head: Head;
  readonly task: TaskSpec;
  readonly support: LabelledSet;
  readonly query: LabelledSet;
  /** Passed to `adapt` (default true: build what the meta-gradient needs). */
  readonly metaTraining?: boolean;
  readonly metaStep?: number;
}

/**
 * The meta-objective as a function of all meta-parameters in one map: names `theta/...` for the
 * model (`theta/backbone/...`, `theta/head/...`) and `solver/...` for the solver's own.
 * @param problem - solver, parts, task and sets.
 * @param meta - the joined map (see {@link joinMetaParams}).
 * @returns the scalar meta-loss.
 */
export function solverMetaLoss(problem: SolverProblem, meta: Params): tf.Scalar {
  const adaptation = problem.solver.adapt({
    backbone: problem.backbone,
    head: problem.head,
    theta: subParams('theta', meta),
    solverParams: subParams('solver', meta),
    support: problem.support,
    task: problem.task,
    metaTraining: problem.metaTraining ?? true,
    ...(problem.metaStep !== undefined && { metaStep: problem.metaStep }),
  });
  return adaptationLoss(adaptation, problem.query, problem.task.kind);
}

/** `theta` under `theta/` and `solverParams` under `solver/` (the latter omitted when empty). */
export function joinMetaParams(theta: Params, solverParams: Params): Params {
  const s = paramNames(solverParams).length > 0 ? prefixParams('solver', solverParams) : {};
  return { ...prefixParams('theta', theta), ...s };
}

/**
 * `L(meta)` and `dL/dmeta` for every tensor of `meta` (`null` where `L` does not depend on it).
 * Uses the engine's gradient with unconnected inputs allowed (`tf.grads` would throw on them).
 * Call inside `tf.tidy`.
 * @param f - the meta-objective.
 * @param meta - the point.
 * @returns the loss and one gradient (same shape) or `null` per name.
 */
export function metaValueAndGrads(f: (meta: Params) => tf.Scalar, meta: Params): { value: tf.Scalar; grads: Record<string, tf.Tensor | null> } {
  const names = paramNames(meta);
  const xs = names.map((n) => meta[n]!);
  const { value, grads } = tf.engine().gradients(() => f(meta), xs, undefined, true);
  const out: Record<string, tf.Tensor | null> = {};
  names.forEach((n, i) => (out[n] = grads[i] ?? null));
  return { value, grads: out };
}
