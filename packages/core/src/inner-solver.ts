/**
 * The InnerSolver interface: how a learner adapts to a task's support set.
 *
 * A solver receives the meta-parameters `theta` as tensors that may be on an outer gradient
 * tape and returns an {@link Adaptation}; the query loss computed from it is differentiable with
 * respect to `theta` (and the solver's own meta-parameters) in the mode the solver implements:
 * second order (MAML), first order (FOMAML), closed form (R2-D2), KKT (MetaOptNet), implicit
 * (iMAML), context only (CAVIA).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from './backbone.js';
import type { Head } from './head.js';
import type { Params } from './params.js';
import type { LabelledSet, TaskKind } from './episode.js';

/** What the solver needs to know about the task, beyond its support set. */
export interface TaskSpec {
  readonly kind: TaskKind;
  /** Classification: number of classes N; regression: output dimension. */
  readonly ways: number;
}

/**
 * Everything an inner solver reads.
 * - `theta`: the model's meta-parameters, names prefixed `backbone/` and `head/`.
 * - `solverParams`: the solver's own meta-parameters (from {@link InnerSolver.initParams});
 *   e.g. Meta-SGD learning rates, R2-D2's log lambda. Empty for plain MAML.
 * - `support.x`: float32 `[N_s, ...inputShape]`; `support.y` as in {@link LabelledSet}.
 * - `metaTraining`: true inside a meta-training step (the solver builds what the meta-gradient
 *   needs); false at evaluation (the solver may take cheaper, gradient-free paths).
 * - `metaStep`: index of the current meta-training step, for schedules (MAML++ annealing).
 */
export interface InnerSolverInput {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly theta: Params;
  readonly solverParams: Params;
  readonly support: LabelledSet;
  readonly task: TaskSpec;
  readonly metaTraining: boolean;
  readonly metaStep?: number;
}

/**
 * The result of adapting to one task.
 * - `predict(x)`: float32 `[B, outDim]` predictions (logits or regression outputs) of the
 *   adapted model for float32 `x: [B, ...inputShape]`.
 * - `fastWeights`: the adapted parameters when the solver produces them (gradient solvers).
 * - `stepPredict`: predictions after each inner step 1..k, for multi-step losses (MAML++ MSL).
 * - `queryLossWeights`: weights of those per-step losses (sum 1), when the solver asks for them.
 * - `regulariser`: an extra scalar added to the meta-objective (e.g. a solver's penalty).
 *
 * All tensors are created in the caller's scope; the caller disposes them (run inside `tf.tidy`).
 */
export interface Adaptation {
  predict(x: tf.Tensor): tf.Tensor2D;
  readonly fastWeights?: Params;
  stepPredict?(x: tf.Tensor): tf.Tensor2D[];
  readonly queryLossWeights?: readonly number[];
  readonly regulariser?: tf.Scalar;
}

/**
 * What a task-batched solver reads: an {@link InnerSolverInput} whose support set holds the `T`
 * tasks of a meta-batch stacked along a leading task dimension (every task the same shapes).
 * - `support.x`: float32 `[T, N_s, ...inputShape]`; `support.y`: regression float32 `[T, N_s, outDim]`,
 *   classification int32 `[T, N_s]` in `[0, ways)`.
 * - `tasks`: `T >= 1`.
 */
export interface TaskBatchInput extends InnerSolverInput {
  readonly tasks: number;
}

/**
 * The result of adapting to `T` tasks at once, task `t` exactly as {@link Adaptation} for that
 * task alone (to float32 rounding).
 * - `predict(x)`: float32 `x: [T, B, ...inputShape]` to `[T, B, outDim]`; row `t` by task `t`'s
 *   adapted model.
 * - `fastWeights`: per-task tensors `[T, ...shape]`, or `shape` for parameters every task shares.
 * - `stepPredict`, `queryLossWeights`: as in {@link Adaptation}; the weights are the same for every task.
 * - `regulariser`: float32 `[T]`, one term per task.
 *
 * All tensors are created in the caller's scope; the caller disposes them.
 */
export interface TaskBatchAdaptation {
  predict(x: tf.Tensor): tf.Tensor3D;
  readonly fastWeights?: Params;
  stepPredict?(x: tf.Tensor): tf.Tensor3D[];
  readonly queryLossWeights?: readonly number[];
  readonly regulariser?: tf.Tensor1D;
}

/**
 * An inner-loop solver. Stateless: options are fixed at construction, meta-parameters of the
 * solver live in `solverParams` and are passed in (optax/TorchOpt style).
 */
export interface InnerSolver {
  /** Registry name, e.g. `'gradient'`, `'ridge'`. */
  readonly name: string;
  /**
   * The solver's own meta-parameters (may be empty), deterministic in `seed`.
   * @param seed - integer seed.
   * @param theta - the model's meta-parameters (to size per-parameter learning rates).
   * @param task - the task family (ways, kind).
   */
  initParams(seed: number, theta: Params, task: TaskSpec): Params;
  /**
   * Adapts to `input.support`.
   * @throws MetaLearnError `shapeMismatch` / `invalidArgument` on malformed support sets.
   */
  adapt(input: InnerSolverInput): Adaptation;
  /**
   * Optional: adapts to the `T` stacked tasks of a meta-batch in one task-batched computation
   * (per-op overhead paid once, not `T` times), each task with its own fast weights.
   * @returns the task-batched adaptation, or `undefined` when this configuration cannot be
   *   batched (e.g. the backbone or head has no `applyTasks`): the caller then loops over the
   *   tasks with {@link InnerSolver.adapt}.
   * @throws MetaLearnError as `adapt`.
   */
  adaptTasks?(input: TaskBatchInput): TaskBatchAdaptation | undefined;
}
