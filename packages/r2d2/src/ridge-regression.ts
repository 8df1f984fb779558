/**
 * Closed-form ridge regression, differentiable with respect to the features, the targets and
 * the regulariser: the maths of R2-D2's head (Bertinetto, Henriques, Torr & Vedaldi 2018).
 * Pure functions on tensors; the inner solver in `ridge-solver.ts` is a thin shell around them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { choleskySolve, MetaLearnError } from '@metalearn/core';

/** Which of the two equivalent closed forms computes the ridge weights. */
export type RidgeForm = 'auto' | 'woodbury' | 'primal';

/** Options of {@link ridgeWeights}. */
export interface RidgeWeightsOptions {
  /**
   * `'woodbury'`: `W = Xᵀ (X Xᵀ + λ I_N)⁻¹ Y`, an `N × N` system (cheap when `N < D`, the
   * few-shot case). `'primal'`: `W = (Xᵀ X + λ I_D)⁻¹ Xᵀ Y`, a `D × D` system. `'auto'` (default):
   * Woodbury when `N < D`, primal otherwise. Both give the same `W` (the push-through identity).
   */
  readonly form?: RidgeForm;
}

/**
 * The Woodbury form is used when `form` is `'woodbury'`, or `'auto'` with fewer examples than
 * features.
 * @param n - number of examples `N`.
 * @param d - number of features `D` (bias column included).
 * @param form - the requested form.
 */
export function useWoodbury(n: number, d: number, form: RidgeForm = 'auto'): boolean {
  return form === 'woodbury' || (form === 'auto' && n < d);
}

/**
 * Appends a constant-1 column to the features, so that the last row of the ridge weights acts as
 * a per-output bias (regularised like the other weights, as in R2-D2).
 * @param features - float32 `X: [N, D]`.
 * @returns float32 `[X, 1]: [N, D + 1]`.
 */
export function withBiasColumn(features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([features, tf.ones([features.shape[0], 1])], 1));
}

/**
 * The ridge-regression weights
 * `W = argmin_W ||X W - Y||² + λ ||W||² = (Xᵀ X + λ I_D)⁻¹ Xᵀ Y = Xᵀ (X Xᵀ + λ I_N)⁻¹ Y`,
 * the second form by the Woodbury (push-through) identity. The SPD system is solved by
 * {@link choleskySolve}, so `W` is differentiable (to every order) in `X`, `Y` and `λ`.
 *
 * @param features - float32 `X: [N, D]` (append a bias column first if wanted: {@link withBiasColumn}).
 * @param targets - float32 `Y: [N, K]` (one-hot labels, or regression targets).
 * @param lambda - float32 scalar `λ > 0` (a tensor, so that it can be meta-learned).
 * @param options - `form` (`'auto'` default).
 * @returns float32 `W: [D, K]`.
 * @throws MetaLearnError `shapeMismatch` when `X` is not `[N, D]` or `Y` not `[N, K]`;
 *   `notPositiveDefinite` when the system is not (numerically) positive definite, e.g. `λ <= 0`.
 * @example const w = ridgeWeights(x, tf.oneHot(labels, 5).toFloat(), tf.scalar(1)); // [D, 5]
 * @see Bertinetto, Henriques, Torr & Vedaldi 2018, "Meta-learning with differentiable closed-form
 *   solvers" (ICLR 2019), sec. 3.2 (ridge regression and its Woodbury form).
 */
export function ridgeWeights(features: tf.Tensor, targets: tf.Tensor, lambda: tf.Scalar, options: RidgeWeightsOptions = {}): tf.Tensor2D {
  if (features.rank !== 2 || features.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `ridgeWeights: features must be float32 [N, D], got ${features.dtype} [${features.shape.join(', ')}]`);
  }
  const [n, d] = features.shape as [number, number];
  if (targets.rank !== 2 || targets.shape[0] !== n || targets.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `ridgeWeights: targets must be float32 [${n}, K] (one row per example), got ${targets.dtype} [${targets.shape.join(', ')}]`);
  }
  if (lambda.rank !== 0) {
    throw new MetaLearnError('shapeMismatch', `ridgeWeights: lambda must be a scalar, got [${lambda.shape.join(', ')}]`);
  }
  const x = features as tf.Tensor2D;
  const y = targets as tf.Tensor2D;
  return tf.tidy(() => {
    if (useWoodbury(n, d, options.form)) {
      const gram = tf.add(tf.matMul(x, x, false, true), tf.mul(lambda, tf.eye(n))) as tf.Tensor2D; // X Xᵀ + λ I_N
      return tf.matMul(x, choleskySolve(gram, y), true, false); // Xᵀ (X Xᵀ + λ I)⁻¹ Y
    }
    const gram = tf.add(tf.matMul(x, x, true, false), tf.mul(lambda, tf.eye(d))) as tf.Tensor2D; // Xᵀ X + λ I_D
    return choleskySolve(gram, tf.matMul(x, y, true, false)); // (Xᵀ X + λ I)⁻¹ Xᵀ Y
  });
}

/**
 * R2-D2's calibrated predictions `Ŷ = α (X W) + β`: the ridge outputs, rescaled and shifted so
 * that they can serve as logits of a softmax cross-entropy.
 * @param features - float32 `X: [B, D]` (with the bias column when `W` has one).
 * @param weights - float32 `W: [D, K]`.
 * @param alpha - float32 scalar scale `α`.
 * @param beta - float32 scalar offset `β`.
 * @returns float32 `[B, K]`.
 * @see Bertinetto et al. 2018, sec. 3.2 ("Λ(X) = α X W + β").
 */
export function ridgePredict(features: tf.Tensor2D, weights: tf.Tensor2D, alpha: tf.Scalar, beta: tf.Scalar): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(alpha, tf.matMul(features, weights)), beta));
}
