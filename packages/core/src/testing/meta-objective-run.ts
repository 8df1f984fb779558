/**
 * One evaluation of the meta-objective over a meta-batch, read back to plain numbers, and the
 * comparison of a task-batched evaluation with the per-task loop (the reference). Shared by the
 * task-batch conformance suite and the solvers' own task-batch tests.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import type { Episode } from '../episode.js';
import type { Head } from '../head.js';
import type { InnerSolver, TaskSpec } from '../inner-solver.js';
import { metaObjective } from '../learner/objective.js';
import { paramNames, type Params } from '../params.js';

/** What {@link runMetaObjective} evaluates: the parts, the meta-parameters and the task family. */
export interface MetaObjectiveProblem {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly solver: InnerSolver;
  /** The model's meta-parameters `theta`. */
  readonly theta: Params;
  /** The solver's meta-parameters (learned rates, `log λ`, ...); default none. */
  readonly solverParams?: Params;
  readonly spec: TaskSpec;
}

/** One evaluation of the meta-objective, as host numbers. */
export interface MetaObjectiveRun {
  /** The meta-objective: the sum over tasks of the query losses (nats or squared units). */
  readonly value: number;
  /** Whether the task-batched path was taken. */
  readonly vectorised: boolean;
  /** Per task, its final query loss, in the order of the tasks. */
  readonly finalLosses: number[];
  /** Per task, its count of correct query predictions (0 for regression). */
  readonly hits: number[];
  /**
   * The meta-gradient, flattened row-major, per parameter: theta's names as they are, the solver's
   * as `solver/<name>`; `[]` where the objective does not depend on the parameter.
   */
  readonly grads: Record<string, number[]>;
}

/** Options of {@link runMetaObjective}. */
export interface MetaObjectiveRunOptions {
  /** Passed to the solver (annealing schedules); default 0. */
  readonly metaStep?: number;
  /**
   * When given, `count` is increased by every host read of a tensor's values (`dataSync`, `data`,
   * `arraySync`, `array`, `bufferSync`, `buffer`) made while the meta-gradient is computed, i.e.
   * what makes an asynchronous backend wait for the device. Kernels' own internal reads are not
   * counted.
   */
  readonly reads?: { count: number };
}

const READ_METHODS = ['dataSync', 'data', 'arraySync', 'array', 'bufferSync', 'buffer'] as const;

/**
 * Evaluates core's {@link metaObjective} over `tasks` and its gradient with respect to every
 * meta-parameter, and reads everything back to the host. No tensor is left behind.
 * @param problem - parts, meta-parameters and task family.
 * @param tasks - the meta-batch.
 * @param vectorise - `'auto'` (the task-batched path where it applies) or `'off'` (the per-task loop).
 * @param options - meta-step and the host-read counter.
 * @returns the objective, the path taken, per-task losses and hits, and the meta-gradient.
 * @throws whatever `metaObjective` throws (e.g. MetaLearnError on malformed episodes).
 */
export function runMetaObjective(problem: MetaObjectiveProblem, tasks: readonly Episode[], vectorise: 'auto' | 'off', options: MetaObjectiveRunOptions = {}): MetaObjectiveRun {
  const solverParams = problem.solverParams ?? {};
  const thetaNames = paramNames(problem.theta);
  const solverNames = paramNames(solverParams);
  const xs = [...thetaNames.map((n) => problem.theta[n]!), ...solverNames.map((n) => solverParams[n]!)];
  const keys = [...thetaNames, ...solverNames.map((n) => `solver/${n}`)];
  let out: MetaObjectiveRun | undefined;
  tf.tidy(() => {
    let vectorised = false;
    const kept: tf.Tensor[] = [];
    const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const originals = READ_METHODS.map((m) => proto[m]!);
    const reads = options.reads;
    if (reads !== undefined) {
      READ_METHODS.forEach((m, i) => {
        proto[m] = function (this: unknown, ...a: unknown[]) {
          reads.count++;
          return originals[i]!.apply(this, a);
        };
      });
    }
    let result: { value: tf.Scalar; grads: tf.Tensor[] };
    try {
      result = tf.engine().gradients(() => {
        const o = metaObjective({
          backbone: problem.backbone, head: problem.head, solver: problem.solver, theta: problem.theta, solverParams,
          spec: problem.spec, metaStep: options.metaStep ?? 0, tasks, vectorise,
        });
        vectorised = o.vectorised === true;
        kept.push(...o.finalLosses, ...o.hits);
        return o.sum;
      }, xs, undefined, true);
    } finally {
      READ_METHODS.forEach((m, i) => (proto[m] = originals[i]!));
    }
    const grads: Record<string, number[]> = {};
    keys.forEach((k, i) => (grads[k] = result.grads[i] ? Array.from(result.grads[i]!.dataSync()) : []));
    const finalLosses = kept.slice(0, tasks.length).map((l) => l.dataSync()[0]!);
    const hits = kept.slice(tasks.length).map((h) => h.dataSync()[0]!);
    out = { value: result.value.dataSync()[0]!, vectorised, finalLosses, hits, grads };
    tf.dispose(kept);
  });
  return out!;
}

/**
 * The largest meta-gradient difference between two runs and the scale it is judged against.
 * @param a - the run under test.
 * @param b - the reference run.
 * @param parameter - one parameter's key (see {@link MetaObjectiveRun.grads}); default all of them.
 * @returns `err = max_j |a_j - b_j|` and `scale = max_j |b_j|` over the chosen parameters.
 * @throws AssertionError when a parameter's gradient is present in one run and not in the other.
 */
export function metaGradientGap(a: MetaObjectiveRun, b: MetaObjectiveRun, parameter?: string): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  for (const n of parameter === undefined ? Object.keys(b.grads) : [parameter]) {
    const x = a.grads[n] ?? [];
    const y = b.grads[n] ?? [];
    assert.equal(x.length, y.length, `gradient of ${n}: reached both runs or neither`);
    y.forEach((v, j) => {
      err = Math.max(err, Math.abs(x[j]! - v));
      scale = Math.max(scale, Math.abs(v));
    });
  }
  return { err, scale };
}

/** Options of {@link assertTaskBatchAgrees}. */
export interface TaskBatchAgreementOptions {
  /** Tolerance relative to the reference's scale; default 1e-5 (float32 sums in another order). */
  readonly rtol?: number;
  /**
   * Judge every parameter's meta-gradient against its own scale (stricter) rather than all of them
   * against the largest; default false.
   */
  readonly perParameter?: boolean;
}

/**
 * Asserts that a task-batched run equals the per-task loop's: `vec` took the task-batched path and
 * `loop` did not; the meta-objective and every task's final loss agree within `rtol` relative;
 * hits are equal; the meta-gradient is non-zero and `max |g_vec - g_loop| <= rtol * max |g_loop|`.
 * @param vec - the run with `vectorise: 'auto'`.
 * @param loop - the run with `vectorise: 'off'` (the reference).
 * @param what - prefixed to every failure message.
 * @param options - tolerance and scope.
 * @returns the worst meta-gradient error relative to its scale.
 * @throws AssertionError on any disagreement.
 */
export function assertTaskBatchAgrees(vec: MetaObjectiveRun, loop: MetaObjectiveRun, what: string, options: TaskBatchAgreementOptions = {}): number {
  const rtol = options.rtol ?? 1e-5;
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
  assert.ok(vec.vectorised, `${what}: the vectorised path was taken`);
  assert.ok(!loop.vectorised, `${what}: the reference is the loop`);
  assert.ok(rel(vec.value, loop.value) <= rtol, `${what}: meta-objective ${vec.value} vs ${loop.value}`);
  assert.equal(vec.finalLosses.length, loop.finalLosses.length, `${what}: one final loss per task`);
  vec.finalLosses.forEach((l, i) => assert.ok(rel(l, loop.finalLosses[i]!) <= rtol, `${what}: final loss of task ${i}: ${l} vs ${loop.finalLosses[i]}`));
  assert.deepEqual(vec.hits, loop.hits, `${what}: hits per task`);
  const total = metaGradientGap(vec, loop);
  assert.ok(total.scale > 0, `${what}: non-zero meta-gradient`);
  if (!options.perParameter) {
    assert.ok(total.err <= rtol * total.scale, `${what}: max |g_vec - g_loop| = ${total.err} > ${rtol} * ${total.scale}`);
    return total.err / total.scale;
  }
  let worst = 0;
  for (const n of Object.keys(loop.grads)) {
    const { err, scale } = metaGradientGap(vec, loop, n);
    assert.ok(err <= rtol * Math.max(scale, 1e-6), `${what}: meta-gradient of ${n}: max |g_vec - g_loop| = ${err} > ${rtol} * ${scale}`);
    worst = Math.max(worst, scale > 0 ? err / scale : err);
  }
  return worst;
}
