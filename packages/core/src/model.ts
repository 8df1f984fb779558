/**
 * Composition of a backbone and a head into one model with one parameter map `theta`
 * (names `backbone/...` and `head/...`), the form every inner solver and learner receives.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ApplyContext, Backbone } from './backbone.js';
import type { Head } from './head.js';
import { mergeParams, prefixParams, subParams, type Params } from './params.js';
import { deriveSeed } from './random.js';

/**
 * Fresh model parameters: `backbone.init(deriveSeed(seed, 'backbone'))` under `backbone/` and
 * `head.init(deriveSeed(seed, 'head'), backbone.featureDim, outDim)` under `head/`.
 * @param backbone - the feature network.
 * @param head - the prediction head.
 * @param seed - integer seed; the same seed gives bitwise-equal tensors.
 * @param outDim - number of outputs (ways, or the regression target size).
 * @returns `theta`, e.g. `{'backbone/dense1/kernel', ..., 'head/weight', 'head/bias'}`.
 * @example const theta = initModel(createMlp({ inputDim: 1, hiddenSizes: [40, 40] }), createLinearHead(), 0, 1); // 1761 numbers
 */
export function initModel(backbone: Backbone, head: Head, seed: number, outDim: number): Params {
  return mergeParams(
    prefixParams('backbone', backbone.init(deriveSeed(seed, 'backbone'))),
    prefixParams('head', head.init(deriveSeed(seed, 'head'), backbone.featureDim, outDim)),
  );
}

/**
 * Forward pass of the composed model: `head.apply(theta_head, backbone.apply(theta_backbone, x, ctx))`.
 * @param backbone - the feature network.
 * @param head - the prediction head.
 * @param theta - parameters with `backbone/` and `head/` prefixes (meta-parameters or fast weights).
 * @param x - float32 `[B, ...backbone.inputShape]`.
 * @param ctx - mode, inner step, context, batch-norm statistics (see {@link ApplyContext}).
 * @returns float32 `[B, outDim]`.
 * @throws MetaLearnError `shapeMismatch` when `x` does not fit the backbone.
 */
export function applyModel(backbone: Backbone, head: Head, theta: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor2D {
  return tf.tidy(() => head.apply(subParams('head', theta), backbone.apply(subParams('backbone', theta), x, ctx)));
}
