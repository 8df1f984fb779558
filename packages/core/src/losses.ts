/**
 * The task losses of metalearn: softmax cross-entropy for classification, mean squared error for
 * regression, and classification accuracy. Every loss is built from ops whose gradients are
 * exact at every order (after the engine's gradient fixes), so MAML's second-order
 * meta-gradient through them is exact. tfjs-core's `tf.losses.*` and `tf.logSoftmax` are not used:
 * their gradients lose the second-order path (see `engine/gradients`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskKind } from './episode.js';
import { MetaLearnError } from './errors.js';
import { stopGradient } from './stop-gradient.js';

function shapeOf(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function requireTensor(fn: string, name: string, t: unknown): asserts t is tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new MetaLearnError('invalidArgument', `${fn}: ${name} must be a tf.Tensor, got ${typeof t}`);
  if (t.isDisposed) throw new MetaLearnError('invalidArgument', `${fn}: ${name} must not be disposed`);
}

/** Checks `logits: float32 [B, N]` and `labels: int32 [B]` with values in `[0, N)`. */
function checkClassification(fn: string, logits: tf.Tensor, labels: tf.Tensor): void {
  requireTensor(fn, 'logits', logits);
  requireTensor(fn, 'labels', labels);
  if (logits.rank !== 2 || logits.shape[0]! < 1 || logits.shape[1]! < 1) {
    throw new MetaLearnError('shapeMismatch', `${fn}: logits must be float32 [B, N] with B, N >= 1, got ${shapeOf(logits)}`);
  }
  if (logits.dtype !== 'float32') {
    throw new MetaLearnError('invalidArgument', `${fn}: logits must be float32 [B, N], got ${logits.dtype}`);
  }
  const [b, n] = logits.shape as [number, number];
  if (labels.rank !== 1 || labels.shape[0] !== b) {
    throw new MetaLearnError('shapeMismatch', `${fn}: labels must be int32 [${b}] (one per row of logits), got ${shapeOf(labels)}`);
  }
  if (labels.dtype !== 'int32') {
    throw new MetaLearnError('invalidArgument', `${fn}: labels must be int32 [${b}], got ${labels.dtype}`);
  }
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < n)) {
      throw new MetaLearnError('invalidArgument', `${fn}: labels[${i}] must be in [0, ${n}) (N = logits.shape[1]), got ${v}`);
    }
  }
}

/**
 * Numerically stable log-softmax along the last axis, differentiable at every order.
 *
 * Maths: `log p_j = z_j - m - log Σ_k exp(z_k - m)` with `m = max_k z_k` held constant
 * (`stopGradient`): log-softmax is invariant to the shift, so the gradient is exact and no
 * `exp` overflows. Unlike `tf.logSoftmax` (a `customGrad` that saves its output), its
 * Hessian is exact: `∂² log p_j / ∂z ∂zᵀ = -(diag(p) - p pᵀ)`.
 *
 * @param logits - float32 `[..., N]`.
 * @returns float32 `[..., N]`, the log-probabilities (nats).
 * @throws MetaLearnError `invalidArgument` when `logits` is not a float32 tensor of rank >= 1.
 */
export function logSoftmax<T extends tf.Tensor>(logits: T): T {
  requireTensor('logSoftmax', 'logits', logits);
  if (logits.rank < 1 || logits.dtype !== 'float32') {
    throw new MetaLearnError('invalidArgument', `logSoftmax: logits must be float32 [..., N], got ${logits.dtype} ${shapeOf(logits)}`);
  }
  return tf.tidy(() => {
    const axis = logits.rank - 1;
    const shift = stopGradient(tf.max(logits, axis, true));
    const shifted = tf.sub(logits, shift);
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true))) as T;
  });
}

/**
 * Softmax cross-entropy of integer labels, averaged over the batch (nats).
 *
 * Maths: `L = -(1/B) Σ_i log softmax(z_i)[y_i]`, with the stable {@link logSoftmax}.
 * Gradient `∂L/∂z_i = (p_i - e_{y_i}) / B`; Hessian block `∂²L/∂z_i∂z_iᵀ = (diag(p_i) - p_i p_iᵀ) / B`,
 * both exact (float32).
 *
 * @param logits - float32 `[B, N]` (N = ways).
 * @param labels - int32 `[B]` with values in `[0, N)`.
 * @returns a float32 scalar; the caller owns it.
 * @throws MetaLearnError `shapeMismatch` when `logits` is not `[B, N]` or `labels` not `[B]`;
 *   `invalidArgument` for a wrong dtype or a label outside `[0, N)` (the message names it).
 * @example
 * const loss = softmaxCrossEntropy(tf.tensor2d([[2, 0, -1]]), tf.tensor1d([0], 'int32')); // 0.1698
 * @see Goodfellow, Bengio & Courville 2016, "Deep Learning", section 6.2.2.3 (softmax units)
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  checkClassification('softmaxCrossEntropy', logits, labels);
  const [b, n] = logits.shape as [number, number];
  return tf.tidy(() => {
    // int32 one-hot, then cast: the wasm OneHot kernel ignores a float32 dtype (writes int bits).
    const oneHot = tf.cast(tf.oneHot(labels as tf.Tensor1D, n), 'float32');
    const picked = tf.sum(tf.mul(oneHot, logSoftmax(logits)));
    return tf.div(tf.neg(picked), b) as tf.Scalar;
  });
}

/**
 * Mean squared error over every element.
 *
 * Maths: `L = (1/(B·D)) Σ_{i,d} (pred_{id} - target_{id})²` (PyTorch's `MSELoss(reduction='mean')`,
 * as used by MAML's sinusoid experiments). `∂L/∂pred = 2 (pred - target) / (B·D)`, Hessian
 * `2 I / (B·D)`.
 *
 * @param pred - float32 `[B, D]`.
 * @param target - float32 `[B, D]`, the same shape.
 * @returns a float32 scalar; the caller owns it.
 * @throws MetaLearnError `shapeMismatch` when the shapes are not equal rank-2 shapes;
 *   `invalidArgument` for a dtype other than float32.
 * @see Finn, Abbeel & Levine 2017, section 5.1 (regression: mean-squared error)
 */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const fn = 'meanSquaredError';
  requireTensor(fn, 'pred', pred);
  requireTensor(fn, 'target', target);
  if (pred.rank !== 2 || pred.size === 0) {
    throw new MetaLearnError('shapeMismatch', `${fn}: pred must be float32 [B, D] with B, D >= 1, got ${shapeOf(pred)}`);
  }
  if (!tf.util.arraysEqual(pred.shape, target.shape)) {
    throw new MetaLearnError('shapeMismatch', `${fn}: target must be float32 ${shapeOf(pred)} (the shape of pred), got ${shapeOf(target)}`);
  }
  if (pred.dtype !== 'float32') throw new MetaLearnError('invalidArgument', `${fn}: pred must be float32, got ${pred.dtype}`);
  if (target.dtype !== 'float32') throw new MetaLearnError('invalidArgument', `${fn}: target must be float32, got ${target.dtype}`);
  return tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(pred, target))), pred.size) as tf.Scalar);
}

/**
 * Classification accuracy: the fraction of rows whose largest logit is at the label
 * (ties go to the lowest index, as `argMax`). Not differentiable; returns a JS number.
 *
 * @param logits - float32 `[B, N]`.
 * @param labels - int32 `[B]` with values in `[0, N)`.
 * @returns the accuracy in `[0, 1]`.
 * @throws MetaLearnError as {@link softmaxCrossEntropy}.
 */
export function accuracy(logits: tf.Tensor, labels: tf.Tensor): number {
  checkClassification('accuracy', logits, labels);
  const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')));
  const value = hits.dataSync()[0]! / logits.shape[0]!;
  hits.dispose();
  return value;
}

/**
 * The loss of a task's predictions: {@link softmaxCrossEntropy} for `'classification'`
 * (`pred` = logits `[B, ways]`, `y` int32 `[B]`), {@link meanSquaredError} for `'regression'`
 * (`pred`, `y` float32 `[B, D]`).
 *
 * @param kind - the task kind.
 * @param pred - the model's outputs.
 * @param y - the targets.
 * @returns a float32 scalar; the caller owns it.
 * @throws MetaLearnError `invalidArgument` for an unknown `kind`, else as the chosen loss.
 */
export function taskLoss(kind: TaskKind, pred: tf.Tensor, y: tf.Tensor): tf.Scalar {
  if (kind === 'classification') return softmaxCrossEntropy(pred, y);
  if (kind === 'regression') return meanSquaredError(pred, y);
  throw new MetaLearnError('invalidArgument', `taskLoss: kind must be 'classification' or 'regression', got '${String(kind)}'`);
}
