/**
 * Predictions of a Reptile-adapted model under the two evaluation protocols of the paper.
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyModel, type Backbone, type Head, type Params } from '@metalearn/core';

/**
 * Predictions of the model with parameters `phi` (batch norm in training mode, as everywhere in
 * Reptile and MAML; `ctx.innerStep = innerStep` for per-step batch norm):
 * - `transductive: true`: `f_phi(x)` with `x` as one batch, so batch norm normalises the query
 *   examples by their own joint statistics (the paper's "transductive" setting);
 * - `transductive: false`: row `j` is the last row of `f_phi([x_s; x_j])`, one batch of the whole
 *   support set and query example `j`, so no query example influences another's prediction (the
 *   reference code's non-transductive `_test_predictions`). For a backbone without batch norm both
 *   are equal (up to float32 summation order).
 * @param backbone - the feature network.
 * @param head - the prediction head.
 * @param phi - adapted parameters (`backbone/...`, `head/...`).
 * @param supportX - float32 `[N_s, ...inputShape]`, used when not transductive.
 * @param x - float32 `[B, ...inputShape]`.
 * @param transductive - the protocol.
 * @param innerStep - inner updates applied to `phi`.
 * @returns float32 `[B, outDim]` in the caller's scope.
 * @see Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning Algorithms", sec. 6 and
 *   appendix (transduction); openai/supervised-reptile `reptile.py` (`_test_predictions`).
 */
export function reptilePredict(backbone: Backbone, head: Head, phi: Params, supportX: tf.Tensor, x: tf.Tensor, transductive: boolean, innerStep: number): tf.Tensor2D {
  const ctx = { training: true, innerStep };
  if (transductive) return applyModel(backbone, head, phi, x, ctx);
  return tf.tidy(() => {
    const ns = supportX.shape[0]!;
    const rows = Array.from({ length: x.shape[0]! }, (_, j) => tf.tidy(() => {
      const batch = tf.concat([supportX, tf.slice(x, j, 1)]);
      return tf.slice(applyModel(backbone, head, phi, batch, ctx), ns, 1);
    }));
    return tf.concat(rows) as tf.Tensor2D;
  });
}
