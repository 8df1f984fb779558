/**
 * The scores (logits) of the SVM head on query features.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';

/**
 * MetaOptNet's logits `s_qk = γ Σ_i α_ik <x_i, x_q>`, i.e. `γ X_q (X_sᵀ α)`: the linear SVM
 * `w_k = Σ_i α_ik x_i` applied to the query features, times the learnable scale `γ`.
 * Differentiable in every argument (plain tf ops).
 *
 * @param query - float32 `X_q: [B, D]`.
 * @param support - float32 `X_s: [N_s, D]`.
 * @param alpha - float32 `α: [N_s, W]` (from {@link svmDual}).
 * @param scale - float32 scalar `γ`.
 * @returns float32 `[B, W]`.
 * @throws MetaLearnError `shapeMismatch` when the shapes disagree.
 * @see Lee, Maji, Ravichandran & Soatto 2019, sec. 3.4 (the learnable scale of the logits).
 */
export function svmScores(query: tf.Tensor, support: tf.Tensor, alpha: tf.Tensor, scale: tf.Scalar): tf.Tensor2D {
  const fn = 'svmScores';
  if (support.rank !== 2) throw new MetaLearnError('shapeMismatch', `${fn}: support must be float32 [N_s, D], got [${support.shape.join(', ')}]`);
  const [n, d] = support.shape as [number, number];
  if (query.rank !== 2 || query.shape[1] !== d) throw new MetaLearnError('shapeMismatch', `${fn}: query must be float32 [B, ${d}] (the support's feature size), got [${query.shape.join(', ')}]`);
  if (alpha.rank !== 2 || alpha.shape[0] !== n) throw new MetaLearnError('shapeMismatch', `${fn}: alpha must be float32 [${n}, W] (one row per support example), got [${alpha.shape.join(', ')}]`);
  if (scale.rank !== 0) throw new MetaLearnError('shapeMismatch', `${fn}: scale must be a scalar, got [${scale.shape.join(', ')}]`);
  // X_q (X_sᵀ α): the weights W = X_sᵀ α [D, W] first (cheaper than X_q X_sᵀ when B is large).
  return tf.tidy(() => tf.mul(scale, tf.matMul(query as tf.Tensor2D, tf.matMul(support as tf.Tensor2D, alpha as tf.Tensor2D, true, false))) as tf.Tensor2D);
}
