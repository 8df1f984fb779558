/**
 * The Head interface: maps features to predictions (logits or regression outputs).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.js';

/**
 * A functional prediction head: `apply(params, features) → outputs [B, outDim]`.
 * For classification `outDim = ways` (logits); for regression it is the target dimension.
 */
export interface Head {
  /** Registry name, e.g. `'linear'`. */
  readonly name: string;
  /**
   * Fresh head parameters.
   * @param seed - integer seed.
   * @param featureDim - `D`, the backbone's feature size.
   * @param outDim - number of outputs (ways, or the regression target size).
   */
  init(seed: number, featureDim: number, outDim: number): Params;
  /**
   * @param params - head parameters (meta-parameters or fast weights).
   * @param features - float32 `[B, D]`.
   * @returns float32 `[B, outDim]`.
   */
  apply(params: Params, features: tf.Tensor2D): tf.Tensor2D;
  /**
   * Optional task-batched `apply` (as `Backbone.applyTasks`): `out[t] = apply(params_t, features[t])`,
   * each parameter `[T, ...shape]` (per task) or `shape` (shared by every task).
   * @param params - head parameters, per task or shared.
   * @param features - float32 `[T, B, D]`.
   * @returns float32 `[T, B, outDim]`.
   */
  applyTasks?(params: Params, features: tf.Tensor3D): tf.Tensor3D;
}
