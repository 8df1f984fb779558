/**
 * Task losses over the `T` tasks of a meta-batch at once: one loss per task, from task-batched
 * predictions `[T, N, ...]`, equal to `taskLoss` of each task alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskKind } from './episode.js';
import { MetaLearnError } from './errors.js';
import { logSoftmax } from './losses.js';

/**
 * One loss per task: `L_t = taskLoss(kind, pred[t], y[t])`.
 * - regression: `L_t = (1/(N O)) Σ_{n,o} (pred_{tno} - y_{tno})²` (mean squared error);
 * - classification: `L_t = -(1/N) Σ_n log softmax(pred_{tn})[y_{tn}]` (cross-entropy, nats).
 * `Σ_t L_t` has, w.r.t. per-task parameters of task `t`, exactly task `t`'s own gradient (the
 * other terms do not depend on them): the task-batched inner loss. Differentiable at every order
 * (the stable {@link logSoftmax}).
 * @param kind - the task kind.
 * @param pred - float32 `[T, N, O]` (classification: logits, `O = ways`).
 * @param y - regression float32 `[T, N, O]`; classification int32 `[T, N]` in `[0, ways)`.
 * @returns float32 `[T]`.
 * @throws MetaLearnError `shapeMismatch` when the shapes do not fit; `invalidArgument` for a
 *   wrong dtype, an unknown kind or a label outside `[0, ways)`.
 * @see Finn, Abbeel & Levine 2017, sec. 5 (MSE for regression, cross-entropy for classification).
 */
export function taskBatchLosses(kind: TaskKind, pred: tf.Tensor, y: tf.Tensor): tf.Tensor1D {
  const fn = 'taskBatchLosses';
  if (pred.rank !== 3 || pred.size === 0 || pred.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `${fn}: pred must be float32 [T, N, O] with T, N, O >= 1, got ${pred.dtype} [${pred.shape.join(', ')}]`);
  }
  const [t, n, o] = pred.shape as [number, number, number];
  if (kind === 'regression') {
    if (y.dtype !== 'float32' || !tf.util.arraysEqual(y.shape, pred.shape)) {
      throw new MetaLearnError('shapeMismatch', `${fn}: y must be float32 [${t}, ${n}, ${o}] (the shape of pred), got ${y.dtype} [${y.shape.join(', ')}]`);
    }
    return tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(pred, y)), [1, 2]), n * o) as tf.Tensor1D);
  }
  if (kind === 'classification') {
    if (y.dtype !== 'int32' || y.rank !== 2 || y.shape[0] !== t || y.shape[1] !== n) {
      throw new MetaLearnError('shapeMismatch', `${fn}: y must be int32 [${t}, ${n}] (labels), got ${y.dtype} [${y.shape.join(', ')}]`);
    }
    const labels = y.dataSync();
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i]!;
      if (!(v >= 0 && v < o)) throw new MetaLearnError('invalidArgument', `${fn}: y[${Math.floor(i / n)}, ${i % n}] must be in [0, ${o}), got ${v}`);
    }
    return tf.tidy(() => {
      // int32 one-hot, then cast: the wasm OneHot kernel ignores a float32 dtype (as softmaxCrossEntropy).
      const oneHot = tf.cast(tf.oneHot(y as tf.Tensor2D, o), 'float32');
      return tf.div(tf.neg(tf.sum(tf.mul(oneHot, logSoftmax(pred)), [1, 2])), n) as tf.Tensor1D;
    });
  }
  throw new MetaLearnError('invalidArgument', `${fn}: kind must be 'classification' or 'regression', got '${String(kind)}'`);
}

/**
 * Correct predictions per task: `hits_t = #{n : argmax_o logits_{tno} = labels_{tn}}`.
 * @param logits - float32 `[T, N, ways]`.
 * @param labels - int32 `[T, N]`.
 * @returns float32 `[T]`, each in `[0, N]`.
 * @throws MetaLearnError `shapeMismatch` when the shapes do not fit.
 */
export function taskBatchHits(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  if (logits.rank !== 3 || labels.rank !== 2 || logits.shape[0] !== labels.shape[0] || logits.shape[1] !== labels.shape[1]) {
    throw new MetaLearnError('shapeMismatch', `taskBatchHits: logits [T, N, ways] and labels [T, N] must agree, got [${logits.shape.join(', ')}] and [${labels.shape.join(', ')}]`);
  }
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), labels), 'float32'), 1) as tf.Tensor1D);
}
