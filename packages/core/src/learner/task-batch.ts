/**
 * The meta-objective of a meta-batch computed task-batched: every task adapted at once by the
 * solver's `adaptTasks` and scored at once on the stacked query sets. Same values as the
 * per-task loop of {@link metaObjective} (to float32 rounding), per-op overhead paid once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MetaBatch } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import { supportsTaskBatch } from '../task-batch.js';
import { taskBatchHits, taskBatchLosses } from '../task-losses.js';
import type { MetaObjective, MetaObjectiveArgs } from './meta-objective.js';

/**
 * Whether every episode of `tasks` has the same shapes and dtypes (support and query, x and y),
 * so that they stack along a leading task dimension.
 * @param tasks - the meta-batch.
 * @returns true for a non-empty meta-batch of uniform shapes.
 */
export function uniformMetaBatch(tasks: MetaBatch): boolean {
  if (tasks.length === 0) return false;
  const first = tasks[0]!;
  const same = (a: tf.Tensor, b: tf.Tensor): boolean => a.dtype === b.dtype && tf.util.arraysEqual(a.shape, b.shape);
  return tasks.every((e) =>
    same(e.support.x, first.support.x) && same(e.support.y, first.support.y) && same(e.query.x, first.query.x) && same(e.query.y, first.query.y));
}

/**
 * Whether a meta-batch can run as one task-batched computation: at least 2 tasks of uniform
 * shapes ({@link uniformMetaBatch}), a solver with `adaptTasks`, and a backbone and head with
 * `applyTasks`. (The solver's `adaptTasks` may still decline at run time.)
 * @param parts - the solver, backbone and head of the composition.
 * @param tasks - the meta-batch.
 * @returns true when {@link taskBatchMetaObjective} will ask the solver for a task-batched adaptation.
 */
export function taskBatchable(parts: Pick<MetaObjectiveArgs, 'backbone' | 'head' | 'solver'>, tasks: MetaBatch): boolean {
  return tasks.length >= 2 && typeof parts.solver.adaptTasks === 'function' && supportsTaskBatch(parts.backbone, parts.head) && uniformMetaBatch(tasks);
}

/**
 * The task-batched meta-objective, or `undefined` when the meta-batch cannot be batched: fewer
 * than 2 tasks, shapes that differ between tasks, a solver without `adaptTasks`, a backbone or
 * head without `applyTasks`, or a solver whose `adaptTasks` declines (returns `undefined`).
 *
 * With `x^s, y^s, x^q, y^q` the episodes stacked to `[T, N, ...]` and `a = adaptTasks(x^s, y^s)`:
 * `o_t = Σ_k w_k L(a.stepPredict(x^q)_k[t], y^q_t) + R_t` (or `L(a.predict(x^q)[t], y^q_t) + R_t`),
 * `sum = Σ_t o_t`, final losses and hits per task as {@link metaObjective}'s loop.
 * @param args - as {@link metaObjective}.
 * @returns the meta-objective (per-task scalars `tf.keep`-ed: the caller disposes them), or `undefined`.
 * @throws MetaLearnError `invalidArgument` when the adaptation's `stepPredict` and
 *   `queryLossWeights` disagree in length.
 * @see Finn, Abbeel & Levine 2017, Algorithm 2 (the sum over tasks of the meta-objective).
 */
export function taskBatchMetaObjective(args: MetaObjectiveArgs): MetaObjective | undefined {
  const { backbone, head, solver, theta, solverParams, spec, metaStep, tasks } = args;
  if (!taskBatchable(args, tasks)) return undefined; // so solver.adaptTasks is a function below
  const stack = (pick: (i: number) => tf.Tensor): tf.Tensor => tf.stack(tasks.map((_, i) => pick(i)));
  const support = { x: stack((i) => tasks[i]!.support.x), y: stack((i) => tasks[i]!.support.y) };
  const adaptation = solver.adaptTasks!({
    backbone, head, theta, solverParams, support, task: spec, metaTraining: true, metaStep, tasks: tasks.length,
  });
  if (adaptation === undefined) {
    support.x.dispose();
    support.y.dispose();
    return undefined;
  }
  const qx = stack((i) => tasks[i]!.query.x);
  const qy = stack((i) => tasks[i]!.query.y);
  let objective: tf.Tensor1D;
  let finalLoss: tf.Tensor1D;
  let finalPred: tf.Tensor3D;
  const weights = adaptation.queryLossWeights;
  if (weights !== undefined && adaptation.stepPredict !== undefined) {
    const preds = adaptation.stepPredict(qx);
    if (preds.length !== weights.length || preds.length === 0) {
      throw new MetaLearnError('invalidArgument', `metaTrainStep: tasks: the solver's stepPredict gave ${preds.length} predictions but ${weights.length} queryLossWeights`);
    }
    const losses = preds.map((p) => taskBatchLosses(spec.kind, p, qy));
    objective = tf.addN(losses.map((l, k) => tf.mul(l, weights[k]!))) as tf.Tensor1D;
    finalLoss = losses[losses.length - 1]!;
    finalPred = preds[preds.length - 1]!;
  } else {
    finalPred = adaptation.predict(qx);
    finalLoss = taskBatchLosses(spec.kind, finalPred, qy);
    objective = finalLoss;
  }
  if (adaptation.regulariser !== undefined) {
    const r = adaptation.regulariser;
    if (r.rank !== 1 || r.shape[0] !== tasks.length) {
      throw new MetaLearnError('shapeMismatch', `metaTrainStep: the solver's task-batched regulariser must be float32 [${tasks.length}] (one per task), got [${r.shape.join(', ')}]`);
    }
    objective = tf.add(objective, r);
  }
  const sum = tf.sum(objective) as tf.Scalar;
  const finalLosses = tf.unstack(finalLoss).map((l) => tf.keep(l as tf.Scalar));
  const hits = spec.kind === 'classification' ? tf.tidy(() => tf.unstack(taskBatchHits(finalPred, qy))).map((h) => tf.keep(h as tf.Scalar)) : [];
  return { sum, finalLosses, hits, vectorised: true };
}
