/**
 * The Backbone interface: a functional feature network.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.js';

/**
 * What a forward pass may depend on besides parameters and input.
 * - `training`: batch norm uses batch statistics when true (always the case in MAML's
 *   transductive setting); see {@link Backbone.apply}.
 * - `innerStep`: index of the inner-loop step (0 = before any update), for MAML++ per-step
 *   batch-norm parameters (Antoniou et al. 2018, sec. 4 "BNWB/BNRS").
 * - `context`: float32 `[C]` or `[B, C]` context parameters (CAVIA; Zintgraf et al. 2019).
 * - `normStats`: batch-norm statistics to use instead of the batch's own, keyed by layer name
 *   (non-transductive evaluation: the support set's statistics normalise the query set).
 * - `onNormStats`: called with each batch-norm layer's batch statistics as they are computed
 *   (how the support set's statistics are captured).
 */
export interface ApplyContext {
  readonly training: boolean;
  readonly innerStep?: number;
  readonly context?: tf.Tensor;
  readonly normStats?: ReadonlyMap<string, NormStats>;
  readonly onNormStats?: (layer: string, stats: NormStats) => void;
}

/** Per-channel batch-norm statistics: `mean`, `variance`: float32 `[C]`. */
export interface NormStats {
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/**
 * A feature network in functional form (parameters passed in, never held).
 *
 * `apply(params, x, ctx)` maps float32 `x: [B, ...inputShape]` to float32 features `[B, featureDim]`.
 * Because parameters are arguments, the fast weights `phi` of a task go through the same code
 * as the meta-parameters `theta`.
 */
export interface Backbone {
  /** Registry name, e.g. `'mlp'`, `'conv4'`. */
  readonly name: string;
  /** Shape of one example, e.g. `[28, 28, 1]` or `[1]`. */
  readonly inputShape: readonly number[];
  /** Size `D` of the features `[B, D]`. */
  readonly featureDim: number;
  /**
   * Fresh parameters, deterministic in `seed`.
   * @param seed - integer seed; the same seed gives bitwise-equal tensors.
   */
  init(seed: number): Params;
  /**
   * Forward pass.
   * @param params - as returned by `init`, or fast weights of the same names and shapes.
   * @param x - float32 `[B, ...inputShape]`.
   * @param ctx - mode, inner step, context parameters.
   * @returns float32 `[B, featureDim]`.
   * @throws MetaLearnError `shapeMismatch` when `x` does not match `inputShape`.
   */
  apply(params: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor2D;
  /**
   * Optional task-batched forward pass: the `T` tasks of a meta-batch in one computation, each
   * with its own fast weights. Absent on backbones that cannot batch over tasks (Conv-4): callers
   * then loop over the tasks with {@link Backbone.apply}.
   *
   * `features[t] = apply(params_t, x[t], ctx_t)`, where `params_t[name] = params[name][t]` when the
   * tensor has a leading task dimension (`[T, ...shape]`) and `params[name]` itself when it is
   * shared by every task (`shape`, e.g. the frozen backbone of ANIL).
   * @param params - each tensor `[T, ...shape]` (per task) or `shape` (shared).
   * @param x - float32 `[T, B, ...inputShape]`.
   * @param ctx - as for `apply`; a `ctx.context` is per task: `[T, C]` or `[T, B, C]`.
   * @returns float32 `[T, B, featureDim]`, equal (to float32 rounding) to stacking `apply` per task.
   * @throws MetaLearnError `shapeMismatch` when `x` or a parameter does not fit.
   */
  applyTasks?(params: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor3D;
}
