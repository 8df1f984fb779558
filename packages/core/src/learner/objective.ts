/**
 * The backprop learner's meta-objective over a meta-batch: every task adapted by the inner solver
 * and scored on its query set. One concept: what `metaTrainStep` differentiates.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import type { Adaptation, TaskSpec } from '../inner-solver.js';
import { taskLoss } from '../losses.js';
import type { MetaObjective, MetaObjectiveArgs } from './meta-objective.js';
import { taskBatchMetaObjective } from './task-batch.js';

export type { MetaObjective, MetaObjectiveArgs } from './meta-objective.js';

/**
 * `Σ_i [ Σ_k w_{i,k} L(f_{phi_{i,k}}(x_i^q), y_i^q) + R_i ]` over the tasks of a meta-batch, where
 * the solver adapts to task i's support set (`metaTraining: true`); `w` are the adaptation's
 * `queryLossWeights` over `stepPredict` when given (else the single final-step loss of `predict`)
 * and `R_i` its `regulariser`. Call inside `tf.variableGrads`/`tf.grads` to get the meta-gradient.
 * The per-task final losses and hit counts are `tf.keep`-ed so they survive the caller's tidy;
 * dispose them. With `vectorise: 'auto'` (default) a meta-batch of same-shaped tasks whose solver,
 * backbone and head support it runs as one task-batched computation ({@link taskBatchMetaObjective}),
 * with the same values; otherwise (and with `'off'`) task by task.
 *
 * @throws MetaLearnError `invalidArgument` when an adaptation's `stepPredict` and `queryLossWeights` disagree in length.
 * @see Finn, Abbeel & Levine 2017, Algorithm 2; Antoniou, Edwards & Storkey 2018, sec. 4 (multi-step loss).
 */
export function metaObjective(args: MetaObjectiveArgs): MetaObjective {
  if (args.vectorise !== 'off') {
    const batched = taskBatchMetaObjective(args);
    if (batched !== undefined) return batched;
  }
  const { backbone, head, solver, theta, solverParams, spec, metaStep, tasks } = args;
  const finalLosses: tf.Scalar[] = [];
  const hits: tf.Scalar[] = [];
  const objectives = tasks.map((episode, i) => {
    const adaptation = solver.adapt({ backbone, head, theta, solverParams, support: episode.support, task: spec, metaTraining: true, metaStep });
    const { objective, finalLoss, finalPred } = queryObjective(adaptation, episode, spec, `metaTrainStep: tasks[${i}]`);
    finalLosses.push(tf.keep(finalLoss));
    if (spec.kind === 'classification') hits.push(tf.keep(countHits(finalPred, episode.query.y)));
    return objective;
  });
  const sum = (objectives.length === 1 ? objectives[0]! : tf.addN(objectives)) as tf.Scalar;
  return { sum, finalLosses, hits, vectorised: false };
}

/**
 * The meta-objective of one task and its final-step query loss and predictions.
 * With `queryLossWeights` and `stepPredict`: `Σ_k w_k L(stepPredict(x)_k, y)`; else `L(predict(x), y)`;
 * plus `regulariser` when given.
 */
function queryObjective(adaptation: Adaptation, episode: Episode, spec: TaskSpec, where: string): { objective: tf.Scalar; finalLoss: tf.Scalar; finalPred: tf.Tensor2D } {
  const { x, y } = episode.query;
  let objective: tf.Scalar;
  let finalLoss: tf.Scalar;
  let finalPred: tf.Tensor2D;
  const weights = adaptation.queryLossWeights;
  if (weights !== undefined && adaptation.stepPredict !== undefined) {
    const preds = adaptation.stepPredict(x);
    if (preds.length !== weights.length || preds.length === 0) {
      throw new MetaLearnError('invalidArgument', `${where}: the solver's stepPredict gave ${preds.length} predictions but ${weights.length} queryLossWeights`);
    }
    const losses = preds.map((p) => taskLoss(spec.kind, p, y));
    objective = tf.addN(losses.map((l, k) => tf.mul(l, weights[k]!))) as tf.Scalar;
    finalLoss = losses[losses.length - 1]!;
    finalPred = preds[preds.length - 1]!;
  } else {
    finalPred = adaptation.predict(x);
    finalLoss = taskLoss(spec.kind, finalPred, y);
    objective = finalLoss;
  }
  if (adaptation.regulariser !== undefined) objective = tf.add(objective, adaptation.regulariser);
  return { objective, finalLoss, finalPred };
}

/**
 * Number of rows of `logits` `[n, ways]` whose arg-max is the label in `labels` `[n]` (int32).
 * @returns a float32 scalar in `[0, n]`.
 */
export function countHits(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
}
