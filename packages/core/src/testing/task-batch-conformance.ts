/**
 * The conformance suite of task-batched inner solvers: a solver with `adaptTasks`, first- or
 * third-party, runs it to prove that its task-batched adaptation is the per-task `adapt` of every
 * task (the reference), and that the vectorised meta-objective gives the per-task loop's numbers.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import type { BackendName } from '../engine/backend.js';
import { disposeEpisode, type Episode } from '../episode.js';
import type { Head } from '../head.js';
import type { InnerSolver, TaskSpec } from '../inner-solver.js';
import { createMlp } from '../backbones/mlp.js';
import { createLinearHead } from '../heads/linear.js';
import { initModel } from '../model.js';
import { disposeParams, subParams, type Params } from '../params.js';
import { deriveSeed } from '../random.js';
import { forEachBackend } from './backends.js';
import { joinMetaParams } from './meta-gradient.js';
import { assertTaskBatchAgrees, runMetaObjective } from './meta-objective-run.js';
import { syntheticEpisode } from './synthetic-episode.js';

/** Options of {@link describeTaskBatchConformance}. */
export interface TaskBatchConformanceOptions {
  /** Builds the solver under test; it must have `adaptTasks`. */
  readonly createSolver: () => InnerSolver;
  /** Task families; default `[{ kind: 'classification', ways: 3 }, { kind: 'regression', ways: 2 }]`. */
  readonly tasks?: readonly TaskSpec[];
  /** `T`, tasks per meta-batch; default 4. */
  readonly metaBatch?: number;
  /** Support examples per class (regression: points); default 2. */
  readonly shots?: number;
  /** Query examples per class (regression: points); default 3. */
  readonly queryShots?: number;
  /** A backbone with `applyTasks`; default `createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 })`. */
  readonly createBackbone?: () => Backbone;
  /** A head with `applyTasks`; default `createLinearHead({ init: 'glorotUniform' })`. */
  readonly createHead?: () => Head;
  /** Seed of parameters and episodes; default 0. */
  readonly seed?: number;
  /** Meta-step passed to the solver (annealing schedules); default 0. */
  readonly metaStep?: number;
  /**
   * Tolerance, relative to the scale of the compared values (max |reference|): float32 batched
   * products sum in another order than per-task ones. Default 1e-5.
   */
  readonly rtol?: number;
  /** Backends; default every one available here. */
  readonly backends?: readonly BackendName[];
}

interface Setup {
  readonly solver: InnerSolver;
  readonly backbone: Backbone;
  readonly head: Head;
  readonly meta: Params;
  readonly episodes: Episode[];
}

/**
 * Registers one node:test per call: for every backend and task family,
 * - `adaptTasks` accepts the stacked meta-batch (does not decline it) and its `predict(x^q)` is
 *   float32 `[T, N_q, ways]` whose row `t` equals `adapt(task t).predict(x^q_t)`; the same for
 *   `stepPredict`, `queryLossWeights` and the per-task `regulariser` when given;
 * - `metaObjective` with `vectorise: 'auto'` takes the task-batched path; its sum and per-task
 *   final losses equal those of `vectorise: 'off'` (the per-task loop) within `rtol` relative, its
 *   hits exactly, and its meta-gradient w.r.t. every meta-parameter within
 *   `max |a - b| <= rtol * max |b|`, parameter by parameter ({@link assertTaskBatchAgrees});
 * - no tensor is left behind.
 * @param name - the suite's name, e.g. `'gradient (MAML, 2 steps)'`.
 * @param options - the solver and problem settings.
 * @example describeTaskBatchConformance('gradient', { createSolver: () => createGradientSolver({ innerSteps: 2 }) });
 */
export function describeTaskBatchConformance(name: string, options: TaskBatchConformanceOptions): void {
  const tasks = options.tasks ?? [{ kind: 'classification', ways: 3 }, { kind: 'regression', ways: 2 }];
  test(`${name}: task-batched solver conformance`, async (t) => {
    await forEachBackend(t, options.backends, async (tb) => {
      for (const task of tasks) {
        await tb.test(`${task.kind} (ways ${task.ways})`, async (tt) => {
          await tt.test('adaptTasks: row t of every output equals adapt on task t alone', (x) => withSetup(x, options, task, adaptationProperty));
          await tt.test("metaObjective: vectorised sum, per-task losses, hits and meta-gradient equal the per-task loop's", (x) => withSetup(x, options, task, objectiveProperty));
        });
      }
    });
  });
}

type Property = (t: TestContext, s: Setup, task: TaskSpec, o: TaskBatchConformanceOptions) => void;

async function withSetup(t: TestContext, o: TaskBatchConformanceOptions, task: TaskSpec, property: Property): Promise<void> {
  const seed = o.seed ?? 0;
  const solver = o.createSolver();
  assert.equal(typeof solver.adaptTasks, 'function', `solver '${solver.name}' must have adaptTasks`);
  const backbone = (o.createBackbone ?? (() => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 })))();
  const head = (o.createHead ?? (() => createLinearHead({ init: 'glorotUniform' })))();
  const theta = initModel(backbone, head, deriveSeed(seed, 'theta'), task.ways);
  const meta = joinMetaParams(theta, solver.initParams(deriveSeed(seed, 'solver'), theta, task));
  const episodes = Array.from({ length: o.metaBatch ?? 4 }, (_, i) => syntheticEpisode(deriveSeed(seed, `episode/${i}`), {
    kind: task.kind, ways: task.ways, shots: o.shots ?? 2, queryShots: o.queryShots ?? 3, inputShape: backbone.inputShape,
  }));
  const start = tf.memory().numTensors;
  try {
    property(t, { solver, backbone, head, meta, episodes }, task, o);
    assert.equal(tf.memory().numTensors, start, 'no tensor left behind');
  } finally {
    disposeParams(meta); // theta's tensors too (joinMetaParams renames, never copies)
    episodes.forEach(disposeEpisode);
  }
}

/** `max |a - b|` and `max |b|` of two tensors of equal shapes. */
function gap(a: tf.Tensor, b: tf.Tensor, what: string): { err: number; scale: number } {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  return tf.tidy(() => ({ err: tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!, scale: tf.max(tf.abs(b)).dataSync()[0]! }));
}

function assertGap(a: tf.Tensor, b: tf.Tensor, what: string, rtol: number): void {
  const { err, scale } = gap(a, b, what);
  assert.ok(err <= rtol * Math.max(scale, 1e-6), `${what}: max |batched - per task| = ${err} > ${rtol} * ${scale}`);
}

const adaptationProperty: Property = (t, s, task, o) => {
  const rtol = o.rtol ?? 1e-5;
  const T = s.episodes.length;
  tf.tidy(() => {
    const theta = subParams('theta', s.meta);
    const solverParams = subParams('solver', s.meta);
    const metaStep = o.metaStep ?? 0;
    const support = { x: tf.stack(s.episodes.map((e) => e.support.x)), y: tf.stack(s.episodes.map((e) => e.support.y)) };
    const qx = tf.stack(s.episodes.map((e) => e.query.x));
    const batched = s.solver.adaptTasks!({ backbone: s.backbone, head: s.head, theta, solverParams, support, task, metaTraining: true, metaStep, tasks: T });
    assert.ok(batched !== undefined, 'adaptTasks must accept a meta-batch of same-shaped tasks on a backbone and head with applyTasks');
    const pred = batched.predict(qx);
    const nq = s.episodes[0]!.query.x.shape[0]!;
    assert.deepEqual(pred.shape, [T, nq, task.ways], `predict(x^q) must be [T = ${T}, N_q = ${nq}, ${task.ways}]`);
    assert.equal(pred.dtype, 'float32');
    const steps = batched.stepPredict?.(qx);
    s.episodes.forEach((e, i) => {
      const one = s.solver.adapt({ backbone: s.backbone, head: s.head, theta, solverParams, support: e.support, task, metaTraining: true, metaStep });
      assertGap(tf.gather(pred, i), one.predict(e.query.x), `task ${i}: predict`, rtol);
      if (steps !== undefined && one.stepPredict !== undefined) {
        const ref = one.stepPredict(e.query.x);
        assert.equal(steps.length, ref.length, 'stepPredict: as many steps as adapt');
        steps.forEach((p, k) => assertGap(tf.gather(p, i), ref[k]!, `task ${i}: stepPredict[${k}]`, rtol));
      }
      assert.deepEqual(batched.queryLossWeights, one.queryLossWeights, 'queryLossWeights as adapt');
      if (one.regulariser !== undefined) {
        assert.ok(batched.regulariser !== undefined, 'a regulariser per task when adapt gives one');
        assertGap(tf.gather(batched.regulariser, i), one.regulariser, `task ${i}: regulariser`, rtol);
      }
    });
  });
  t.diagnostic(`${T} tasks: predictions, step predictions, weights and regularisers as adapt task by task`);
};

const objectiveProperty: Property = (t, s, task, o) => {
  const problem = { backbone: s.backbone, head: s.head, solver: s.solver, theta: subParams('theta', s.meta), solverParams: subParams('solver', s.meta), spec: task };
  const metaStep = o.metaStep ?? 0;
  const a = runMetaObjective(problem, s.episodes, 'auto', { metaStep });
  const b = runMetaObjective(problem, s.episodes, 'off', { metaStep });
  const worst = assertTaskBatchAgrees(a, b, `${s.solver.name}`, { rtol: o.rtol ?? 1e-5, perParameter: true });
  t.diagnostic(`meta-objective ${a.value} vs ${b.value}; worst meta-gradient error / scale ${worst.toExponential(2)}`);
};
