/**
 * Task-batched application of a composed model: the `T` tasks of a meta-batch through one
 * computation, each with its own parameters (the vectorised counterpart of `applyModel`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ApplyContext, Backbone } from './backbone.js';
import { MetaLearnError } from './errors.js';
import type { Head } from './head.js';
import type { TaskBatchInput } from './inner-solver.js';
import { subParams, type Params } from './params.js';

/**
 * Whether a backbone and a head can both run task-batched (each has `applyTasks`).
 * @param backbone - the feature network.
 * @param head - the prediction head.
 * @returns true when {@link applyModelTasks} can run them.
 */
export function supportsTaskBatch(backbone: Backbone, head: Head): boolean {
  return typeof backbone.applyTasks === 'function' && typeof head.applyTasks === 'function';
}

/**
 * Forward pass of the composed model over `T` tasks:
 * `out[t] = head.apply(theta_t/head, backbone.apply(theta_t/backbone, x[t], ctx))`, where each
 * tensor of `theta` is per task (`[T, ...shape]`) or shared (`shape`).
 * @param backbone - a feature network with `applyTasks`.
 * @param head - a head with `applyTasks`.
 * @param theta - `backbone/...` and `head/...` parameters, per task or shared.
 * @param x - float32 `[T, B, ...backbone.inputShape]`.
 * @param ctx - mode, inner step, per-task context.
 * @returns float32 `[T, B, outDim]`.
 * @throws MetaLearnError `unsupported` when the backbone or the head has no `applyTasks`;
 *   `shapeMismatch` as their `applyTasks`.
 */
export function applyModelTasks(backbone: Backbone, head: Head, theta: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor3D {
  if (backbone.applyTasks === undefined || head.applyTasks === undefined) {
    const which = backbone.applyTasks === undefined ? `backbone '${backbone.name}'` : `head '${head.name}'`;
    throw new MetaLearnError('unsupported', `applyModelTasks: the ${which} has no applyTasks (task-batched forward pass); loop over the tasks with applyModel`);
  }
  const { applyTasks: headApply } = head;
  const { applyTasks: backboneApply } = backbone;
  return tf.tidy(() => headApply.call(head, subParams('head', theta), backboneApply.call(backbone, subParams('backbone', theta), x, ctx)));
}

/**
 * `t` repeated for `T` tasks: `out[i] = t` for `i < T`, as a broadcast add, so the gradient of
 * anything computed from `out` w.r.t. `t` is the sum over tasks of its gradients w.r.t. `out[i]`
 * (differentiable at every order: `∂out/∂t` is a reduction, no per-task slices).
 * @param t - float32 `shape`.
 * @param tasks - `T >= 1`.
 * @returns float32 `[T, ...shape]`.
 * @throws MetaLearnError `invalidArgument` when `tasks` is not an integer >= 1.
 * @example tileForTasks(theta['head/weight'], 25) // [25, 40, 1]
 */
export function tileForTasks(t: tf.Tensor, tasks: number): tf.Tensor {
  if (!(Number.isInteger(tasks) && tasks >= 1)) throw new MetaLearnError('invalidArgument', `tileForTasks: tasks must be an integer >= 1, got ${tasks}`);
  return tf.tidy(() => tf.add(tf.zeros([tasks, ...t.shape.map(() => 1)]), t));
}

/**
 * Checks a solver's task-batched input: `input.tasks = T` an integer >= 1, the stacked support
 * set `support.x` float32 `[T, N_s, ...]` and `support.y` `[T, N_s, ...]` (live tensors, the same
 * `N_s >= 1`), and `task.kind` 'classification' or 'regression'.
 * @param input - what `InnerSolver.adaptTasks` received.
 * @param caller - the function named in errors, e.g. `'gradient.adaptTasks'`.
 * @returns `T`.
 * @throws MetaLearnError `invalidArgument` (not an object, bad `tasks`, missing or disposed
 *   tensors, bad `task.kind`) or `shapeMismatch` (the support set's leading dimensions), naming
 *   the field and `caller`.
 */
export function checkTaskBatchInput(input: TaskBatchInput, caller: string): number {
  if (input === null || typeof input !== 'object') throw new MetaLearnError('invalidArgument', `${caller}: input must be a TaskBatchInput object`);
  const { support, task, tasks } = input;
  if (!(Number.isInteger(tasks) && tasks >= 1)) throw new MetaLearnError('invalidArgument', `${caller}: input.tasks must be an integer >= 1, got ${String(tasks)}`);
  if (!(support?.x instanceof tf.Tensor) || !(support?.y instanceof tf.Tensor)) {
    throw new MetaLearnError('invalidArgument', `${caller}: input.support must have tensors x and y`);
  }
  if (support.x.isDisposed || support.y.isDisposed) throw new MetaLearnError('invalidArgument', `${caller}: input.support.x and .y must not be disposed`);
  const { x, y } = support;
  if (x.rank < 2 || y.rank < 2 || x.shape[0] !== tasks || y.shape[0] !== tasks || x.shape[1] !== y.shape[1] || x.shape[1] === 0) {
    throw new MetaLearnError('shapeMismatch', `${caller}: input.support.x [${x.shape.join(', ')}] and input.support.y [${y.shape.join(', ')}] must be [${tasks}, N_s, ...] with the same N_s >= 1 (T = input.tasks = ${tasks})`);
  }
  if (task?.kind !== 'classification' && task?.kind !== 'regression') {
    throw new MetaLearnError('invalidArgument', `${caller}: input.task.kind must be 'classification' or 'regression', got '${String(task?.kind)}'`);
  }
  return tasks;
}
