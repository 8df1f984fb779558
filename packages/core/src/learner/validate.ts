/**
 * Validation of the tasks a learner receives, with errors that name the offending tensor
 * (`metaTrainStep: tasks[2].support.x must be float32 [N, 28, 28, 1], got [25, 28, 28]`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Episode, LabelledSet, MetaBatch } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import type { TaskSpec } from '../inner-solver.js';

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks one labelled set against the task family.
 * - `x`: float32 `[N, ...inputShape]`, `N >= 1`;
 * - `y`: classification int32 `[N]` with values in `[0, ways)`; regression float32 `[N, ways]`.
 * @param set - the set to check.
 * @param where - its name in messages, e.g. `metaTrainStep: tasks[2].support`.
 * @param task - kind and ways of the learner.
 * @param inputShape - the backbone's example shape.
 * @throws MetaLearnError `invalidArgument` (not a tensor, disposed, wrong dtype, label out of
 *   range) or `shapeMismatch` (wrong shape), naming `where.x` or `where.y`.
 */
export function validateLabelledSet(set: LabelledSet, where: string, task: TaskSpec, inputShape: readonly number[]): void {
  if (set === null || typeof set !== 'object') throw new MetaLearnError('invalidArgument', `${where} must be an object { x, y }, got ${String(set)}`);
  const { x, y } = set;
  for (const [name, t] of [['x', x], ['y', y]] as const) {
    if (!(t instanceof tf.Tensor)) throw new MetaLearnError('invalidArgument', `${where}.${name} must be a tf.Tensor, got ${typeof t}`);
    if (t.isDisposed) throw new MetaLearnError('invalidArgument', `${where}.${name} must not be disposed`);
  }
  const expectedX = ['N', ...inputShape];
  const xOk = x.rank === inputShape.length + 1 && x.shape[0]! >= 1 && inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!xOk || x.dtype !== 'float32') {
    const kind = xOk ? 'invalidArgument' : 'shapeMismatch';
    throw new MetaLearnError(kind, `${where}.x must be float32 ${shapeText(expectedX)} with N >= 1, got ${x.dtype} ${shapeText(x.shape)}`);
  }
  const n = x.shape[0]!;
  if (task.kind === 'classification') {
    if (y.rank !== 1 || y.shape[0] !== n) throw new MetaLearnError('shapeMismatch', `${where}.y must be int32 [${n}] (one label per row of ${where}.x), got ${y.dtype} ${shapeText(y.shape)}`);
    if (y.dtype !== 'int32') throw new MetaLearnError('invalidArgument', `${where}.y must be int32 [${n}], got ${y.dtype}`);
    const labels = y.dataSync();
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i]!;
      if (!(v >= 0 && v < task.ways)) throw new MetaLearnError('invalidArgument', `${where}.y[${i}] must be a label in [0, ${task.ways}) (ways = ${task.ways}), got ${v}`);
    }
  } else {
    if (y.rank !== 2 || y.shape[0] !== n || y.shape[1] !== task.ways) {
      throw new MetaLearnError('shapeMismatch', `${where}.y must be float32 [${n}, ${task.ways}] (N of ${where}.x, output dimension ${task.ways}), got ${y.dtype} ${shapeText(y.shape)}`);
    }
    if (y.dtype !== 'float32') throw new MetaLearnError('invalidArgument', `${where}.y must be float32 [${n}, ${task.ways}], got ${y.dtype}`);
  }
}

/**
 * Checks that a task spec matches the learner's.
 * @throws MetaLearnError `invalidArgument` naming the field that differs.
 */
export function validateTaskSpec(given: TaskSpec, expected: TaskSpec, where: string): void {
  if (given === null || typeof given !== 'object') throw new MetaLearnError('invalidArgument', `${where} must be { kind, ways }, got ${String(given)}`);
  if (given.kind !== expected.kind) {
    throw new MetaLearnError('invalidArgument', `${where}.kind must be '${expected.kind}' (the learner's task kind), got '${String(given.kind)}'`);
  }
  if (given.ways !== expected.ways) {
    throw new MetaLearnError('invalidArgument', `${where}.ways must be ${expected.ways} (the learner's ways; equal for every task), got ${String(given.ways)}`);
  }
}

/**
 * Checks one episode: its kind and ways against the learner's, then support and query sets.
 * @param where - e.g. `metaTrainStep: tasks[3]` or `evaluate: episode`.
 * @throws MetaLearnError as {@link validateLabelledSet} and {@link validateTaskSpec}.
 */
export function validateEpisode(episode: Episode, where: string, task: TaskSpec, inputShape: readonly number[]): void {
  if (episode === null || typeof episode !== 'object') throw new MetaLearnError('invalidArgument', `${where} must be an Episode, got ${String(episode)}`);
  validateTaskSpec(episode, task, where);
  validateLabelledSet(episode.support, `${where}.support`, task, inputShape);
  validateLabelledSet(episode.query, `${where}.query`, task, inputShape);
}

/**
 * Checks a meta-batch: a non-empty array of episodes of the learner's kind and (equal) ways.
 * @param tasks - the meta-batch.
 * @param fn - the caller, e.g. `metaTrainStep`.
 * @throws MetaLearnError `invalidArgument` for an empty batch; else as {@link validateEpisode},
 *   naming `fn: tasks[i]...`.
 */
export function validateMetaBatch(tasks: MetaBatch, fn: string, task: TaskSpec, inputShape: readonly number[]): void {
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new MetaLearnError('invalidArgument', `${fn}: tasks must be a non-empty array of episodes, got ${Array.isArray(tasks) ? 'an empty array' : typeof tasks}`);
  }
  tasks.forEach((e, i) => validateEpisode(e, `${fn}: tasks[${i}]`, task, inputShape));
}

/**
 * Checks what every learner factory composes: a backbone and a head (objects with `init` and
 * `apply`), the task family and the seed. Shared by the backprop learner and outer rules of other
 * packages (Reptile).
 * @param fn - the factory, for messages.
 * @param parts - the factory's options.
 * @throws MetaLearnError `invalidArgument` naming the option, e.g.
 *   `createLearner: options.task.ways must be an integer >= 1, got 0`.
 */
export function validateLearnerParts(fn: string, parts: { readonly backbone: unknown; readonly head: unknown; readonly task: TaskSpec; readonly seed: number }): void {
  const { backbone, head, task, seed } = parts;
  checkPart(backbone, 'backbone', ['init', 'apply'], fn);
  checkPart(head, 'head', ['init', 'apply'], fn);
  if (task === null || typeof task !== 'object' || (task.kind !== 'classification' && task.kind !== 'regression')) {
    throw new MetaLearnError('invalidArgument', `${fn}: options.task.kind must be 'classification' or 'regression', got ${JSON.stringify(task?.kind)}`);
  }
  if (!(Number.isInteger(task.ways) && task.ways >= 1)) throw new MetaLearnError('invalidArgument', `${fn}: options.task.ways must be an integer >= 1, got ${String(task.ways)}`);
  if (!Number.isSafeInteger(seed)) throw new MetaLearnError('invalidArgument', `${fn}: options.seed must be a safe integer, got ${String(seed)}`);
}

/**
 * Checks that `part` is an object whose `methods` are functions.
 * @throws MetaLearnError `invalidArgument`, e.g. `createLearner: options.solver.adapt must be a function (is it a solver?)`.
 */
export function checkPart(part: unknown, what: string, methods: readonly string[], fn: string): void {
  if (part === null || typeof part !== 'object') throw new MetaLearnError('invalidArgument', `${fn}: options.${what} must be a ${what} object, got ${String(part)}`);
  for (const m of methods) {
    if (typeof (part as Record<string, unknown>)[m] !== 'function') {
      throw new MetaLearnError('invalidArgument', `${fn}: options.${what}.${m} must be a function (is it a ${what}?)`);
    }
  }
}
