// The task-batched inner loop (adaptTasks) and core's vectorised meta-objective, checked as values
// against the per-task loop they replace (the reference), on every backend:
// - sinusoid MLP 1-40-40-1 (ReLU), meta-batch 25, 10 support + 10 query points: meta-objective,
//   meta-gradient (theta and learned rates) and per-task final losses of the vectorised path equal
//   the loop's for second order 1 and 5 steps, first order, Meta-SGD, ANIL (adapt '^head/') and
//   MAML++ (LSLR + MSL), and the vectorised path was really taken;
// - classification (3-way tanh MLP, meta-batch 6): losses, hit counts and meta-gradient equal;
// - adaptTasks's fast weights and predictions, task by task, equal adapt's on that task alone;
// - the loop is taken (and gives the loop's numbers) for a meta-batch of differing shapes, a
//   Conv-4 backbone (no applyTasks), a solver without adaptTasks, one task, and vectorise 'off';
// - a backprop learner takes the same parameters over 3 meta-steps (SGD and Adam) both ways;
// - tf.memory().numTensors is back to its start.
// Tolerances (float32: the batched products sum in another order than the per-task ones):
// meta-objective and per-task losses within 1e-5 relative; meta-gradient max_j |g_vec - g_loop|
// <= 1e-5 * max_j |g_loop| (measured ~1e-7); learner parameters max |p_vec - p_loop| <= 1e-5 *
// max |p_loop| after 3 steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  availableBackends, createConv4, createLearner, createLinearHead, createMlp, disposeEpisode, disposeParams, initEngine, initModel,
  type Episode, type InnerSolver, type Params, type TaskSpec,
} from '@metalearn/core';
import {
  assertTaskBatchAgrees, runMetaObjective, sinusoidEpisodes, syntheticEpisode, type MetaObjectiveProblem, type MetaObjectiveRun,
} from '@metalearn/core/testing';
import { createGradientSolver, type GradientSolverOptions } from '@metalearn/maml';

const backends = await availableBackends();
const REL = 1e-5;

interface Setup extends MetaObjectiveProblem {
  readonly solverParams: Params;
}

const run = (s: Setup, tasks: readonly Episode[], vectorise: 'auto' | 'off', metaStep = 0) => runMetaObjective(s, tasks, vectorise, { metaStep });
const assertSame = (vec: MetaObjectiveRun, loop: MetaObjectiveRun, what: string) => assertTaskBatchAgrees(vec, loop, what, { rtol: REL });

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

function sinusoidSetup(options: GradientSolverOptions): Setup {
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [40, 40] });
  const head = createLinearHead();
  const solver = createGradientSolver(options);
  const spec: TaskSpec = { kind: 'regression', ways: 1 };
  // A meta-trained-like theta (std 0.5 rather than 0.01) so that every task's inner step matters.
  const theta = tf.tidy(() => {
    const t = initModel(createMlp({ inputDim: 1, hiddenSizes: [40, 40], weightStd: 0.3 }), createLinearHead({ init: 'normal', std: 0.3 }), 4, 1);
    return Object.fromEntries(Object.entries(t).map(([n, v]) => [n, tf.keep(n.endsWith('bias') ? tf.add(v, 0.05) : v)]));
  });
  return { backbone, head, solver, theta, solverParams: solver.initParams(0, theta, spec), spec };
}

function disposeSetup(s: Setup): void {
  disposeParams(s.theta);
  disposeParams(s.solverParams);
}

const configs: readonly [string, GradientSolverOptions][] = [
  ['second order, 1 step', { innerSteps: 1, innerLr: 0.01 }],
  ['second order, 5 steps', { innerSteps: 5, innerLr: 0.01 }],
  ['first order, 3 steps', { innerSteps: 3, innerLr: 0.01, order: 'first' }],
  ['Meta-SGD, 2 steps', { innerSteps: 2, innerLr: 0.01, metaSgd: true }],
  ['ANIL (adapt ^head/), 3 steps', { innerSteps: 3, innerLr: 0.01, adapt: '^head/' }],
  ['MAML++ (LSLR, MSL), 2 steps', { innerSteps: 2, innerLr: 0.01, perStepLrs: true, multiStepLoss: { annealSteps: 10 } }],
];

for (const backend of backends) {
  test(`[${backend}] sinusoid MLP, meta-batch 25: vectorised meta-objective, meta-gradient and per-task losses equal the per-task loop`, async () => {
    await initEngine({ backend, log: () => {} });
    const tasks = sinusoidEpisodes(11, 25, 10);
    const start = tf.memory().numTensors;
    for (const [label, options] of configs) {
      const s = sinusoidSetup(options);
      const vec = run(s, tasks, 'auto', 3);
      const loop = run(s, tasks, 'off', 3);
      const e = assertSame(vec, loop, `${backend} ${label}`);
      // The tasks differ (else a broken per-task slicing could pass): every task has its own loss.
      assert.equal(new Set(loop.finalLosses.map((l) => l.toFixed(4))).size, tasks.length, 'distinct per-task losses');
      if (process.env['TB_VERBOSE']) console.log(backend, label, 'objective', loop.value, 'grad err / scale', e);
      if (options.metaSgd || options.perStepLrs) assert.ok(Object.keys(loop.grads).some((n) => n.startsWith('solver/lr/')), 'learned rates get a meta-gradient');
      disposeSetup(s);
    }
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    tasks.forEach(disposeEpisode);
  });

  test(`[${backend}] 3-way classification, meta-batch 6: losses, hit counts and meta-gradient equal the loop; distinct per-task values`, async () => {
    await initEngine({ backend, log: () => {} });
    const spec: TaskSpec = { kind: 'classification', ways: 3 };
    const backbone = createMlp({ inputDim: 4, hiddenSizes: [8], activation: 'tanh', weightStd: 0.5 });
    const head = createLinearHead({ init: 'glorotUniform' });
    const tasks = Array.from({ length: 6 }, (_, i) => syntheticEpisode(100 + i, { kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] }));
    const start = tf.memory().numTensors;
    for (const options of [{ innerSteps: 2, innerLr: 0.4 }, { innerSteps: 1, innerLr: 0.4, order: 'first' as const, metaSgd: true }]) {
      const solver = createGradientSolver(options);
      const theta = initModel(backbone, head, 2, 3);
      const s: Setup = { backbone, head, solver, theta, solverParams: solver.initParams(0, theta, spec), spec };
      const vec = run(s, tasks, 'auto');
      const loop = run(s, tasks, 'off');
      assertSame(vec, loop, `${backend} classification ${JSON.stringify(options)}`);
      assert.ok(new Set(loop.finalLosses.map((l) => l.toFixed(5))).size === tasks.length, 'every task has its own loss');
      assert.equal(vec.hits.length, tasks.length);
      disposeSetup(s);
    }
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    tasks.forEach(disposeEpisode);
  });

  test(`[${backend}] adaptTasks: task t's fast weights and predictions equal adapt on task t alone (second order, 2 steps, ANIL shares the backbone)`, async () => {
    await initEngine({ backend, log: () => {} });
    const tasks = sinusoidEpisodes(5, 4, 10);
    const start = tf.memory().numTensors;
    for (const adapt of [undefined, '^head/']) {
      const s = sinusoidSetup({ innerSteps: 2, innerLr: 0.02, ...(adapt !== undefined && { adapt }) });
      tf.tidy(() => {
        const support = { x: tf.stack(tasks.map((e) => e.support.x)), y: tf.stack(tasks.map((e) => e.support.y)) };
        const qx = tf.stack(tasks.map((e) => e.query.x));
        const batched = s.solver.adaptTasks!({ backbone: s.backbone, head: s.head, theta: s.theta, solverParams: {}, support, task: s.spec, metaTraining: true, metaStep: 0, tasks: tasks.length })!;
        const pred = batched.predict(qx);
        assert.deepEqual(pred.shape, [4, 10, 1]);
        tasks.forEach((e, t) => {
          const one = s.solver.adapt({ backbone: s.backbone, head: s.head, theta: s.theta, solverParams: {}, support: e.support, task: s.spec, metaTraining: true, metaStep: 0 });
          for (const n of Object.keys(s.theta)) {
            const fb = batched.fastWeights![n]!;
            const shared = fb.rank === s.theta[n]!.rank;
            assert.equal(shared, adapt !== undefined && n.startsWith('backbone/'), `${n}: shared iff not adapted`);
            const slice = shared ? fb : tf.gather(fb, t);
            const d = tf.max(tf.abs(tf.sub(slice, one.fastWeights![n]!))).dataSync()[0]!;
            const sc = tf.max(tf.abs(one.fastWeights![n]!)).dataSync()[0]!;
            assert.ok(d <= REL * sc, `task ${t} ${n}: fast weights differ by ${d} (scale ${sc})`);
          }
          const moved = tf.max(tf.abs(tf.sub(one.fastWeights!['head/weight']!, s.theta['head/weight']!))).dataSync()[0]!;
          assert.ok(moved > 1e-3, `task ${t}: the inner loop moved the head (${moved})`);
          const dp = tf.max(tf.abs(tf.sub(tf.gather(pred, t), one.predict(e.query.x)))).dataSync()[0]!;
          assert.ok(dp <= 1e-5, `task ${t}: predictions differ by ${dp}`);
        });
      });
      disposeSetup(s);
    }
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    tasks.forEach(disposeEpisode);
  });

  test(`[${backend}] the per-task loop is taken, with the loop's numbers, when the meta-batch cannot be batched`, async () => {
    await initEngine({ backend, log: () => {} });
    const start = tf.memory().numTensors;
    // Shapes differ: one task has 5 support points instead of 10.
    const s = sinusoidSetup({ innerSteps: 1, innerLr: 0.01 });
    const mixed = [...sinusoidEpisodes(1, 3, 10), ...sinusoidEpisodes(2, 1, 5)];
    const a = run(s, mixed, 'auto');
    const b = run(s, mixed, 'off');
    assert.ok(!a.vectorised, 'differing shapes: loop');
    assert.deepEqual(a, b, 'differing shapes: exactly the loop');
    // One task: nothing to batch.
    const single = run(s, mixed.slice(0, 1), 'auto');
    assert.ok(!single.vectorised, 'one task: loop');
    // A solver without adaptTasks (a third-party solver): loop, same numbers as the batched path.
    const plain: InnerSolver = { name: 'plain', initParams: s.solver.initParams.bind(s.solver), adapt: s.solver.adapt.bind(s.solver) };
    const uniform = mixed.slice(0, 3);
    const viaPlain = run({ ...s, solver: plain }, uniform, 'auto');
    assert.ok(!viaPlain.vectorised, 'solver without adaptTasks: loop');
    assertSame(run(s, uniform, 'auto'), viaPlain, 'plain solver');
    mixed.forEach(disposeEpisode);
    disposeSetup(s);

    // Conv-4 has no applyTasks: adaptTasks declines and the loop runs.
    const spec: TaskSpec = { kind: 'classification', ways: 2 };
    const conv = createConv4({ inputShape: [6, 6, 1], filters: 3, activation: 'tanh' });
    const head = createLinearHead({ init: 'glorotUniform' });
    const solver = createGradientSolver({ innerSteps: 1, innerLr: 0.3 });
    const theta = initModel(conv, head, 0, 2);
    const episodes = Array.from({ length: 3 }, (_, i) => syntheticEpisode(i, { kind: 'classification', ways: 2, shots: 2, queryShots: 2, inputShape: [6, 6, 1] }));
    tf.tidy(() => {
      const support = { x: tf.stack(episodes.map((e) => e.support.x)), y: tf.stack(episodes.map((e) => e.support.y)) };
      assert.equal(solver.adaptTasks!({ backbone: conv, head, theta, solverParams: {}, support, task: spec, metaTraining: true, tasks: 3 }), undefined, 'adaptTasks declines Conv-4');
    });
    const c = { backbone: conv, head, solver, theta, solverParams: {}, spec };
    const ca = run(c, episodes, 'auto');
    assert.ok(!ca.vectorised, 'Conv-4: loop');
    assert.deepEqual(ca, run(c, episodes, 'off'), 'Conv-4: exactly the loop');
    episodes.forEach(disposeEpisode);
    disposeParams(theta);
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  });

  test(`[${backend}] backprop learner: 3 meta-steps (SGD and Adam, second order, 25 sinusoid tasks) give the same parameters vectorised and task by task`, async () => {
    await initEngine({ backend, log: () => {} });
    for (const optimizer of ['sgd', 'adam'] as const) {
      const make = (hide: boolean) => {
        const solver = createGradientSolver({ innerSteps: 1, innerLr: 0.01, metaSgd: true });
        const used: InnerSolver = hide ? { name: solver.name, initParams: solver.initParams.bind(solver), adapt: solver.adapt.bind(solver) } : solver;
        return createLearner({
          backbone: createMlp({ inputDim: 1, hiddenSizes: [40, 40] }), head: createLinearHead(), solver: used,
          task: { kind: 'regression', ways: 1 }, seed: 3, outerLr: optimizer === 'sgd' ? 1e-2 : 1e-3, optimizer,
        });
      };
      const vec = make(false);
      const loop = make(true);
      const start = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        const batch = sinusoidEpisodes(40 + step, 25, 10);
        const mv = vec.metaTrainStep(batch);
        const ml = loop.metaTrainStep(batch);
        assert.ok(relErr(mv.loss, ml.loss) <= REL, `${optimizer} step ${step}: loss ${mv.loss} vs ${ml.loss}`);
        batch.forEach(disposeEpisode);
      }
      assert.equal(tf.memory().numTensors, start, 'no tensor leaked over 3 meta-steps each');
      let err = 0;
      let scale = 0;
      let moved = 0;
      for (const n of Object.keys(loop.params)) {
        const a = vec.params[n]!.dataSync();
        const b = loop.params[n]!.dataSync();
        b.forEach((v, j) => {
          err = Math.max(err, Math.abs(a[j]! - v));
          scale = Math.max(scale, Math.abs(v));
        });
      }
      const init = make(true);
      for (const n of Object.keys(init.params)) {
        const a = init.params[n]!.dataSync();
        const b = loop.params[n]!.dataSync();
        b.forEach((v, j) => (moved = Math.max(moved, Math.abs(a[j]! - v))));
      }
      init.dispose();
      if (process.env['TB_VERBOSE']) console.log(backend, optimizer, 'param err', err, 'scale', scale, 'moved', moved);
      assert.ok(moved > 1e-3, `${optimizer}: the meta-steps moved the parameters (${moved})`);
      assert.ok(err <= REL * scale, `${optimizer}: max |p_vec - p_loop| = ${err} > ${REL} * ${scale}`);
      vec.dispose();
      loop.dispose();
    }
  });
}

test('learner options: vectorise must be auto or off', () => {
  const base = {
    backbone: createMlp({ inputDim: 1, hiddenSizes: [4] }), head: createLinearHead(), solver: createGradientSolver(),
    task: { kind: 'regression' as const, ways: 1 }, seed: 0, outerLr: 1e-3,
  };
  assert.throws(() => createLearner({ ...base, vectorise: 'on' as 'auto' }), /options\.vectorise/);
  for (const vectorise of ['auto', 'off'] as const) createLearner({ ...base, vectorise }).dispose();
});

test("learner option vectorise: 'off' never calls adaptTasks (the per-task loop), 'auto' does", async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  for (const [vectorise, expected] of [['off', 0], ['auto', 1]] as const) {
    const solver = createGradientSolver({ innerSteps: 1, innerLr: 0.01 });
    let calls = 0;
    const counting: InnerSolver = {
      name: solver.name, initParams: solver.initParams.bind(solver), adapt: solver.adapt.bind(solver),
      adaptTasks: (input) => {
        calls += 1;
        return solver.adaptTasks!(input);
      },
    };
    const learner = createLearner({
      backbone: createMlp({ inputDim: 1, hiddenSizes: [8] }), head: createLinearHead(), solver: counting,
      task: { kind: 'regression', ways: 1 }, seed: 0, outerLr: 1e-3, vectorise,
    });
    const batch = sinusoidEpisodes(5, 4, 10);
    learner.metaTrainStep(batch);
    batch.forEach(disposeEpisode);
    learner.dispose();
    assert.equal(calls, expected, `vectorise '${vectorise}': adaptTasks calls`);
  }
});
