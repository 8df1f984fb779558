/**
 * Outer-loop optimizers as pure functions over explicit state (optax style): an optimizer is a
 * pair `init(params) → state`, `update(grads, state, params, lr) → { params, state }`. Nothing is
 * held in a class field; the learner owns the tensors and disposes the old ones.
 */
import type { Params } from '../params.js';

/**
 * The explicit state of an outer optimizer.
 * - `count`: number of updates applied so far (Adam's bias-correction step `t` before the next
 *   update).
 * - `slots`: named per-parameter buffers, each a {@link Params} with exactly the names of the
 *   optimized parameters and their shapes (Adam: `m`, `v`; SGD with momentum: `momentum`).
 */
export interface OptimizerState {
  readonly count: number;
  readonly slots: Readonly<Record<string, Params>>;
}

/** What {@link OuterOptimizer.update} returns: new tensors, owned by the caller. */
export interface OptimizerUpdate {
  readonly params: Params;
  readonly state: OptimizerState;
}

/**
 * A gradient-based optimizer of the meta-parameters.
 *
 * `update` is pure: it reads `grads`, `state` and `params` and returns new tensors (it neither
 * disposes nor mutates its inputs). Call it inside `tf.tidy` or dispose the old tensors yourself.
 */
export interface OuterOptimizer {
  /** `'adam'`, `'sgd'`, or a third party's name. */
  readonly name: string;
  /**
   * The state before the first update (zero buffers, `count = 0`).
   * @param params - the parameters to optimize (names and shapes are copied, not values).
   */
  init(params: Params): OptimizerState;
  /**
   * One optimizer step.
   * @param grads - gradient of the objective, the same names and shapes as `params`.
   * @param state - from `init` or a previous `update`.
   * @param params - the current parameters.
   * @param lr - the learning rate of this step (from a schedule), finite and >= 0 (0 leaves params unchanged).
   * @returns new parameters and the new state (`count + 1`).
   * @throws MetaLearnError `invalidArgument` when names or shapes of `grads`, `state` and
   *   `params` disagree, or `lr` is negative or not finite.
   */
  update(grads: Params, state: OptimizerState, params: Params, lr: number): OptimizerUpdate;
}
