// The testing helpers runMetaObjective, metaGradientGap and assertTaskBatchAgrees (core/testing's
// meta-objective-run.ts), which the task-batch conformance suite and the solvers' task-batch tests
// rely on, so they must be able to fail:
// - runMetaObjective, with a solver that does not adapt (the prediction is the model's on theta),
//   gives the sum of the tasks' query losses and its gradient computed directly with tf.grads
//   (within 1e-6 relative), per-task losses, the path taken, `solver/`-keyed solver gradients, and
//   counts host reads made inside the solver (exactly one per task in the loop);
// - assertTaskBatchAgrees accepts the task-batched run of that solver against its loop, and
//   rejects: a task-batched path off by 1%, a "vectorised" run that was the loop, a meta-gradient
//   perturbed in one entry (global and per-parameter scopes), and differing hits (regression has
//   none, so the hits are set by hand);
// - no tensor is left behind; on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  applyModel, applyModelTasks, createLinearHead, createMlp, disposeEpisode, disposeParams, initModel, taskLoss,
  type InnerSolver, type Params, type TaskSpec,
} from '@metalearn/core';
import { assertTaskBatchAgrees, metaGradientGap, runMetaObjective, sinusoidEpisodes, type MetaObjectiveRun } from '@metalearn/core/testing';
import { onEveryBackend } from './helpers.js';

/** A solver that does not adapt; `scale` multiplies the task-batched predictions (1: correct). */
function stillSolver(scale = 1, onAdapt?: (solverParams: Params) => void): InnerSolver {
  return {
    name: 'still',
    initParams: () => ({ s: tf.scalar(1) }),
    adapt: ({ backbone, head, theta, solverParams }) => {
      onAdapt?.(solverParams);
      return { predict: (x) => tf.mul(applyModel(backbone, head, theta, x, { training: true }), solverParams['s']!) as tf.Tensor2D };
    },
    adaptTasks: ({ backbone, head, theta, solverParams }) => ({
      predict: (x) => tf.mul(applyModelTasks(backbone, head, theta, x, { training: true }), tf.mul(solverParams['s']!, scale)) as tf.Tensor3D,
    }),
  };
}

function withProblem(body: (p: { theta: Params; solverParams: Params; tasks: ReturnType<typeof sinusoidEpisodes> }) => void): void {
  const start = tf.memory().numTensors;
  const theta = initModel(createMlp({ inputDim: 1, hiddenSizes: [8], weightStd: 0.5 }), createLinearHead({ init: 'normal', std: 0.5 }), 3, 1);
  const solverParams = { s: tf.scalar(1.3) };
  const tasks = sinusoidEpisodes(4, 5, 4);
  try {
    body({ theta, solverParams, tasks });
  } finally {
    disposeParams(theta);
    disposeParams(solverParams);
    tasks.forEach(disposeEpisode);
  }
  assert.equal(tf.memory().numTensors, start, 'no tensor left behind');
}

const spec: TaskSpec = { kind: 'regression', ways: 1 };
const parts = () => ({ backbone: createMlp({ inputDim: 1, hiddenSizes: [8] }), head: createLinearHead(), spec });

test('runMetaObjective: the sum of query losses and its gradient as tf.grads gives them, per-task losses, solver/ keys, host reads', async () => {
  await onEveryBackend(() => withProblem(({ theta, solverParams, tasks }) => {
    const { backbone, head } = parts();
    const reads = { count: 0 };
    const run = runMetaObjective({ backbone, head, spec, theta, solverParams, solver: stillSolver(1, (sp) => void sp['s']!.dataSync()) }, tasks, 'off', { reads });
    assert.equal(run.vectorised, false);
    assert.equal(reads.count, tasks.length, 'one host read per task, counted');
    const names = Object.keys(theta).sort();
    const direct = tf.tidy(() => {
      const f = (...xs: tf.Tensor[]) => {
        const th = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
        const losses = tasks.map((e) => taskLoss('regression', tf.mul(applyModel(backbone, head, th, e.query.x, { training: true }), xs[names.length]!), e.query.y));
        return tf.addN(losses) as tf.Scalar;
      };
      const xs = [...names.map((n) => theta[n]!), solverParams['s']!];
      const value = f(...xs).dataSync()[0]!;
      const grads = tf.grads(f)(xs).map((g) => Array.from(g.dataSync()));
      const losses = tasks.map((e) => taskLoss('regression', tf.mul(applyModel(backbone, head, theta, e.query.x, { training: true }), solverParams['s']!), e.query.y).dataSync()[0]!);
      return { value, grads, losses };
    });
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
    close(run.value, direct.value, 'meta-objective');
    run.finalLosses.forEach((l, i) => close(l, direct.losses[i]!, `task ${i} loss`));
    assert.deepEqual(Object.keys(run.grads).sort(), [...names, 'solver/s'].sort());
    names.forEach((n, i) => run.grads[n]!.forEach((g, j) => close(g, direct.grads[i]![j]!, `d/d ${n}[${j}]`)));
    close(run.grads['solver/s']![0]!, direct.grads[names.length]![0]!, 'd/ds');
  }));
});

test('assertTaskBatchAgrees accepts a correct task-batched path and rejects every kind of disagreement', async () => {
  await onEveryBackend(() => withProblem(({ theta, solverParams, tasks }) => {
    const { backbone, head } = parts();
    const problem = { backbone, head, spec, theta, solverParams, solver: stillSolver() };
    const vec = runMetaObjective(problem, tasks, 'auto');
    const loop = runMetaObjective(problem, tasks, 'off');
    assert.equal(vec.vectorised, true);
    const worst = assertTaskBatchAgrees(vec, loop, 'correct', { perParameter: true });
    assert.ok(worst <= 1e-5, `worst ${worst}`);
    const off = runMetaObjective({ ...problem, solver: stillSolver(1.01) }, tasks, 'auto');
    assert.throws(() => assertTaskBatchAgrees(off, loop, 'scaled'), /scaled: meta-objective/, 'a 1% error is caught');
    assert.throws(() => assertTaskBatchAgrees(loop, loop, 'loop as vec'), /the vectorised path was taken/, 'the loop is not the vectorised path');
    const name = Object.keys(loop.grads).find((n) => n.includes('kernel'))!;
    const { scale } = metaGradientGap(loop, loop);
    assert.ok(scale > 0);
    const perturbed: MetaObjectiveRun = { ...vec, grads: { ...vec.grads, [name]: vec.grads[name]!.map((g, j) => (j === 0 ? g + 1e-3 * scale : g)) } };
    assert.ok(Math.abs(metaGradientGap(perturbed, loop, name).err - 1e-3 * scale) <= 1e-5 * scale, 'the gap is the perturbation');
    assert.throws(() => assertTaskBatchAgrees(perturbed, loop, 'perturbed'), /perturbed: max \|g_vec - g_loop\|/, 'a perturbed meta-gradient is caught');
    assert.throws(() => assertTaskBatchAgrees(perturbed, loop, 'perturbed', { perParameter: true }), new RegExp(`meta-gradient of ${name}`), 'a perturbed meta-gradient is caught per parameter');
    assert.throws(() => assertTaskBatchAgrees({ ...vec, hits: [3, 2] }, { ...loop, hits: [2, 2] }, 'hits'), /hits per task/, 'differing hits are caught');
  }));
});
