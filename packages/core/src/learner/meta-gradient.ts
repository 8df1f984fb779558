/**
 * Meta-gradient parts ({@link MetaGradient}): reading a learner's per-task contributions into plain
 * arrays, checking parts, and summing them in a fixed order. Shared by every outer rule that
 * splits its meta-step into `metaGradient` and `applyMetaGradient` (the backprop learner, Reptile).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MetaBatch } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import type { TaskSpec } from '../inner-solver.js';
import type { Learner, MetaGradient, MetaGradientOptions, MetaTrainMetrics } from '../learner.js';
import type { Params } from '../params.js';
import { validateEpisode } from './validate.js';

/** Meta-parameter name → shape: what a learner checks parts and snapshots against. */
export type ParamShapes = ReadonlyMap<string, readonly number[]>;

/**
 * Resolves {@link MetaGradientOptions} and validates the tasks, naming each `tasks[firstTask + i]`.
 * @param tasks - the tasks of the part, non-empty.
 * @param options - `firstTask` (integer >= 0, default 0) and `caller` (default `'metaGradient'`).
 * @param task - the learner's task family; @param inputShape - its backbone's example shape.
 * @returns `firstTask` and `caller`.
 * @throws MetaLearnError `invalidArgument` for an empty array or a bad `firstTask`; else as
 *   {@link validateEpisode}.
 */
export function resolveMetaGradientCall(tasks: MetaBatch, options: MetaGradientOptions | undefined, task: TaskSpec, inputShape: readonly number[]): { firstTask: number; caller: string } {
  const caller = options?.caller ?? 'metaGradient';
  const firstTask = options?.firstTask ?? 0;
  if (!(Number.isSafeInteger(firstTask) && firstTask >= 0)) throw new MetaLearnError('invalidArgument', `${caller}: options.firstTask must be an integer >= 0, got ${String(firstTask)}`);
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new MetaLearnError('invalidArgument', `${caller}: tasks must be a non-empty array of episodes, got ${Array.isArray(tasks) ? 'an empty array' : typeof tasks}`);
  }
  tasks.forEach((e, i) => validateEpisode(e, `${caller}: tasks[${firstTask + i}]`, task, inputShape));
  return { firstTask, caller };
}

/**
 * Reads gradient tensors into owned float32 arrays, one per name of `shapes` (zeros for a
 * parameter the objective does not reach: `grads[name]` undefined).
 * @param grads - name → tensor of the parameter's shape (or undefined).
 * @param shapes - every meta-parameter's shape.
 * @returns name → `Float32Array` with its own buffer (transferable).
 */
export function readParamArrays(grads: Readonly<Record<string, tf.Tensor | undefined>>, shapes: ParamShapes): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of shapes) {
    const g = grads[name];
    out[name] = g === undefined ? new Float32Array(shape.reduce((a, b) => a * b, 1)) : new Float32Array(g.dataSync() as Float32Array);
  }
  return out;
}

/**
 * Checks the parts of a meta-gradient before anything is applied.
 * @param parts - non-empty; each with a `sums` array of the right length for every name of
 *   `shapes` and no other, `tasks` an integer >= 1, `losses` (and with `classification`,
 *   `accuracies`) of length `tasks`, a finite `objective`.
 * @param shapes - the learner's meta-parameter shapes.
 * @param kind - the task kind (accuracies are required for classification).
 * @param fn - the caller, for messages.
 * @returns `B`, the total number of tasks.
 * @throws MetaLearnError `invalidArgument` naming `parts[k]` and the field; `nonFinite` for a
 *   non-finite objective or a non-finite entry of `sums` (named with its index), so that a NaN or
 *   infinite meta-gradient never reaches the parameters (or a checkpoint).
 */
export function checkMetaGradientParts(parts: readonly MetaGradient[], shapes: ParamShapes, kind: TaskSpec['kind'], fn: string): number {
  if (!Array.isArray(parts) || parts.length === 0) throw new MetaLearnError('invalidArgument', `${fn}: parts must be a non-empty array of MetaGradients, got ${Array.isArray(parts) ? 'an empty array' : typeof parts}`);
  let total = 0;
  parts.forEach((p, k) => {
    const where = `${fn}: parts[${k}]`;
    if (p === null || typeof p !== 'object' || p.sums === null || typeof p.sums !== 'object') throw new MetaLearnError('invalidArgument', `${where} must be a MetaGradient { sums, tasks, objective, losses }`);
    if (!(Number.isInteger(p.tasks) && p.tasks >= 1)) throw new MetaLearnError('invalidArgument', `${where}.tasks must be an integer >= 1, got ${String(p.tasks)}`);
    if (!Array.isArray(p.losses) || p.losses.length !== p.tasks) throw new MetaLearnError('invalidArgument', `${where}.losses must hold ${p.tasks} numbers (one per task), got ${Array.isArray(p.losses) ? p.losses.length : typeof p.losses}`);
    if (kind === 'classification' && (!Array.isArray(p.accuracies) || p.accuracies.length !== p.tasks)) {
      throw new MetaLearnError('invalidArgument', `${where}.accuracies must hold ${p.tasks} numbers (classification), got ${Array.isArray(p.accuracies) ? p.accuracies.length : typeof p.accuracies}`);
    }
    if (!Number.isFinite(p.objective)) throw new MetaLearnError('nonFinite', `${where}.objective is ${p.objective}; the meta-parameters were left unchanged`);
    for (const [name, shape] of shapes) {
      const a = p.sums[name];
      const size = shape.reduce((x, y) => x * y, 1);
      if (!(a instanceof Float32Array) || a.length !== size) {
        throw new MetaLearnError('invalidArgument', `${where}.sums['${name}'] must be a Float32Array of ${size} values (shape [${shape.join(', ')}]), got ${a instanceof Float32Array ? `${a.length} values` : typeof a}`);
      }
      const j = a.findIndex((v) => !Number.isFinite(v));
      if (j >= 0) {
        throw new MetaLearnError('nonFinite', `${where}.sums['${name}'][${j}] is ${a[j]}: the meta-gradient is not finite although the meta-objective is (${p.objective}); the meta-parameters were left unchanged (lower the outer or inner learning rate; gradClip cannot mend a NaN)`);
      }
    }
    for (const name of Object.keys(p.sums)) {
      if (!shapes.has(name)) throw new MetaLearnError('invalidArgument', `${where}.sums has '${name}', which is not a meta-parameter of this learner`);
    }
    total += p.tasks;
  });
  return total;
}

/**
 * The mean meta-gradient of checked parts, `g = (1/B) Σ_k parts[k].sums` with the sum taken in
 * part order (`((s_0 + s_1) + s_2) + ...`, so a given split always rounds the same way).
 * Call inside `tf.tidy`.
 * @param parts - checked by {@link checkMetaGradientParts}.
 * @param shapes - the meta-parameter shapes.
 * @param total - `B`.
 * @returns name → float32 tensor of the parameter's shape.
 */
export function meanMetaGradient(parts: readonly MetaGradient[], shapes: ParamShapes, total: number): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, shape] of shapes) {
    let sum: tf.Tensor = tf.tensor(parts[0]!.sums[name]!, shape as number[], 'float32');
    for (let k = 1; k < parts.length; k++) sum = tf.add(sum, tf.tensor(parts[k]!.sums[name]!, shape as number[], 'float32'));
    out[name] = tf.div(sum, total);
  }
  return out;
}

/**
 * The metrics of a meta-step from its parts: mean final query loss (and accuracy) over all tasks
 * in part order.
 * @param parts - checked parts; @param step - the step count after the update; @param kind - task kind.
 */
export function partsMetrics(parts: readonly MetaGradient[], step: number, kind: TaskSpec['kind']): MetaTrainMetrics {
  const losses = parts.flatMap((p) => p.losses);
  const loss = mean(losses);
  if (kind !== 'classification') return { loss, step };
  return { loss, accuracy: mean(parts.flatMap((p) => p.accuracies ?? [])), step };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The three methods of {@link Learner} that a split meta-step gives (see {@link splitStepMethods}). */
export type SplitStepMethods = Pick<Learner, 'metaTrainStep' | 'metaGradient' | 'applyMetaGradient'>;

/**
 * The split meta-step's methods of an outer rule from its two halves, each first checking that
 * the learner is alive: `metaGradient(tasks, options)` is `compute`, `applyMetaGradient(parts)` is
 * `apply(parts, 'applyMetaGradient')`, and `metaTrainStep(tasks)` is
 * `apply([compute(tasks, { caller: 'metaTrainStep' })], 'metaTrainStep')`.
 * @param alive - throws when the learner was disposed, naming the method.
 * @param compute - one part: the tasks' summed contributions (validated, named by `options.caller`).
 * @param apply - checks the parts, updates the meta-parameters, advances the step; `fn` names the caller.
 * @returns the three methods, to spread into the learner object.
 */
export function splitStepMethods(
  alive: (fn: string) => void,
  compute: (tasks: MetaBatch, options?: MetaGradientOptions) => MetaGradient,
  apply: (parts: readonly MetaGradient[], fn: string) => MetaTrainMetrics,
): SplitStepMethods {
  return {
    metaTrainStep(tasks: MetaBatch): MetaTrainMetrics {
      alive('metaTrainStep');
      return apply([compute(tasks, { caller: 'metaTrainStep' })], 'metaTrainStep');
    },
    metaGradient(tasks: MetaBatch, options?: MetaGradientOptions): MetaGradient {
      alive(options?.caller ?? 'metaGradient');
      return compute(tasks, options);
    },
    applyMetaGradient(parts: readonly MetaGradient[]): MetaTrainMetrics {
      alive('applyMetaGradient');
      return apply(parts, 'applyMetaGradient');
    },
  };
}
