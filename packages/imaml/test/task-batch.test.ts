// The implicit solver's task-batched path (adaptTasks) against the per-task loop it replaces (the
// reference, vectorise 'off'), on every backend:
// - sinusoid MLP 1-40-40-1 (ReLU), meta-batch 25 (core's sinusoidEpisodes, 10 support + 10 query
//   points): meta-objective, meta-gradient w.r.t. every parameter of theta and per-task final
//   losses are equal for exact HVPs (1 and 5 inner steps), finite-difference HVPs (central 1 and 5
//   steps, forward 5 steps), and Adam inner steps with 12 CG iterations at cgTol 1e-3 (tasks stop
//   CG at different iterations); the vectorised path was really taken; CG changes the meta-gradient
//   (the implicit term matters: the test cannot pass with CG switched off in one path);
// - adaptTasks's fast weights and predictions, task by task, equal adapt's on that task alone
//   (meta-training and evaluation);
// - the loop is taken, with exactly the loop's numbers, for Conv-4 (no applyTasks: adaptTasks
//   declines) and a meta-batch of unequal shapes;
// - host reads of tensor values (dataSync, data, arraySync, array, buffer[Sync]; kernels' own
//   internal reads aside) during the meta-gradient: none task-batched; in the per-task loop exactly
//   CG's scalars, T (1 + 2 cgSteps), none per Hessian-vector product, exact or finite-difference;
// - adaptTasks and implicitTaskFastWeights reject malformed inputs with MetaLearnError naming them;
// - tf.memory().numTensors is back to its start.
// Setup: theta drawn with std 0.3 (a "meta-trained-like" net, so H matters), λ = 50, innerLr 0.004
// (the proximal objective's curvature stays below 2/innerLr), cgSteps 5, cgTol 0 (fixed iteration
// count, so both paths are deterministic), fdStep 0.1.
// Tolerances (float32: the batched matmuls sum in another order than the per-task ones on wasm;
// cpu sums alike): meta-objective and per-task losses 1e-5 relative; meta-gradient
// max_j |g_vec - g_loop| <= 1e-5 * max_j |g_loop|. Measured: cpu <= 1.5e-7, wasm <= 5e-7.
// (With the default fdStep 1e-2 on this net, finite-difference HVPs are dominated by float32
// rounding, eps ||∇L|| / r: wasm's two paths then differ by ~3e-5 because their roundings differ;
// fdStep 0.1 keeps both paths on the same, accurate estimate: the FD meta-gradient is within 1% of
// the exact one.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  availableBackends, createConv4, createLinearHead, createMlp, disposeEpisode, disposeParams, initEngine, initModel, MetaLearnError,
  type Episode, type Params, type TaskSpec,
} from '@metalearn/core';
import {
  assertTaskBatchAgrees, metaGradientGap, runMetaObjective, sinusoidEpisodes, syntheticEpisode, type MetaObjectiveProblem, type MetaObjectiveRun,
} from '@metalearn/core/testing';
import { createImplicitSolver, implicitTaskFastWeights, type ImplicitSolverOptions } from '@metalearn/imaml';

const backends = await availableBackends();
const REL = 1e-5;

type Setup = MetaObjectiveProblem;

const run = (s: Setup, tasks: readonly Episode[], vectorise: 'auto' | 'off', reads?: { count: number }) => runMetaObjective(s, tasks, vectorise, reads === undefined ? {} : { reads });
const assertSame = (vec: MetaObjectiveRun, loop: MetaObjectiveRun, what: string) => assertTaskBatchAgrees(vec, loop, what, { rtol: REL });
const gradGap = (a: MetaObjectiveRun, b: MetaObjectiveRun) => metaGradientGap(a, b);

const BASE: ImplicitSolverOptions = { lambda: 50, innerLr: 0.004, cgSteps: 5, cgTol: 0, fdStep: 0.1 };

function sinusoidSetup(options: ImplicitSolverOptions): Setup {
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [40, 40] });
  const head = createLinearHead();
  const theta = tf.tidy(() => {
    const t = initModel(createMlp({ inputDim: 1, hiddenSizes: [40, 40], weightStd: 0.3 }), createLinearHead({ init: 'normal', std: 0.3 }), 4, 1);
    return Object.fromEntries(Object.entries(t).map(([n, v]) => [n, tf.keep(n.endsWith('bias') ? tf.add(v, 0.05) : v)]));
  });
  return { backbone, head, solver: createImplicitSolver({ ...BASE, ...options }), theta, spec: { kind: 'regression', ways: 1 } };
}

const configs: readonly [string, ImplicitSolverOptions][] = [
  ['exact HVP, 1 inner step', { innerSteps: 1, hvp: 'exact' }],
  ['exact HVP, 5 inner steps', { innerSteps: 5, hvp: 'exact' }],
  ['central finite-difference HVP, 1 inner step', { innerSteps: 1, hvp: 'finiteDifference', fdScheme: 'central' }],
  ['central finite-difference HVP, 5 inner steps', { innerSteps: 5, hvp: 'finiteDifference', fdScheme: 'central' }],
  ['forward finite-difference HVP, 5 inner steps', { innerSteps: 5, hvp: 'finiteDifference', fdScheme: 'forward' }],
  ['Adam inner steps, 12 CG steps to cgTol 1e-3', { innerSteps: 5, innerOptimizer: 'adam', cgSteps: 12, cgTol: 1e-3, hvp: 'exact' }],
  ['damped system (cgDamping 1, lambdaDamping 10)', { innerSteps: 5, cgDamping: 1, lambdaDamping: 10, hvp: 'exact' }],
];

for (const backend of backends) {
  test(`[${backend}] sinusoid MLP, meta-batch 25: vectorised meta-objective, meta-gradient and per-task losses equal the per-task loop (exact and finite-difference HVPs, 1 and 5 inner steps)`, async (t) => {
    await initEngine({ backend, log: () => {} });
    const tasks = sinusoidEpisodes(11, 25, 10);
    const start = tf.memory().numTensors;
    let worst = 0;
    for (const [label, options] of configs) {
      const s = sinusoidSetup(options);
      const vec = run(s, tasks, 'auto');
      const loop = run(s, tasks, 'off');
      worst = Math.max(worst, assertSame(vec, loop, `${backend} ${label}`));
      assert.equal(new Set(loop.finalLosses.map((l) => l.toFixed(4))).size, tasks.length, 'distinct per-task losses');
      disposeParams(s.theta);
    }
    // The implicit term matters here: CG moves the meta-gradient far beyond the tolerance.
    const s = sinusoidSetup({ innerSteps: 5 });
    const firstOrder = run({ ...s, solver: createImplicitSolver({ ...BASE, innerSteps: 5, cgSteps: 0 }) }, tasks, 'auto');
    const implicit = run(s, tasks, 'auto');
    const { err, scale } = gradGap(firstOrder, implicit);
    assert.ok(err > 0.1 * scale, `CG changes the meta-gradient: ${err} vs scale ${scale}`);
    disposeParams(s.theta);
    t.diagnostic(`${backend}: worst meta-gradient error / scale ${worst.toExponential(2)} over ${configs.length} configurations; CG vs first order ${(err / scale).toFixed(2)}`);
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    tasks.forEach(disposeEpisode);
  });

  test(`[${backend}] adaptTasks: task t's fast weights and predictions equal adapt on task t alone (meta-training and evaluation)`, async () => {
    await initEngine({ backend, log: () => {} });
    const tasks = sinusoidEpisodes(5, 4, 10);
    const start = tf.memory().numTensors;
    const s = sinusoidSetup({ innerSteps: 3, evalInnerSteps: 6, innerOptimizer: 'nesterov' });
    for (const metaTraining of [true, false]) {
      tf.tidy(() => {
        const support = { x: tf.stack(tasks.map((e) => e.support.x)), y: tf.stack(tasks.map((e) => e.support.y)) };
        const qx = tf.stack(tasks.map((e) => e.query.x));
        const batched = s.solver.adaptTasks!({ backbone: s.backbone, head: s.head, theta: s.theta, solverParams: {}, support, task: s.spec, metaTraining, tasks: tasks.length });
        assert.ok(batched !== undefined, 'adaptTasks accepts the MLP');
        const pred = batched.predict(qx);
        assert.deepEqual(pred.shape, [4, 10, 1]);
        tasks.forEach((e, i) => {
          const one = s.solver.adapt({ backbone: s.backbone, head: s.head, theta: s.theta, solverParams: {}, support: e.support, task: s.spec, metaTraining });
          for (const n of Object.keys(s.theta)) {
            const fb: tf.Tensor = batched.fastWeights![n]!;
            assert.deepEqual(fb.shape, [tasks.length, ...s.theta[n]!.shape], `${n}: per task`);
            const d: number = tf.max(tf.abs(tf.sub(tf.gather(fb, i), one.fastWeights![n]!))).dataSync()[0]!;
            const sc = tf.max(tf.abs(one.fastWeights![n]!)).dataSync()[0]!;
            assert.ok(d <= REL * sc, `task ${i} ${n}: fast weights differ by ${d} (scale ${sc})`);
          }
          const moved = tf.max(tf.abs(tf.sub(one.fastWeights!['head/weight']!, s.theta['head/weight']!))).dataSync()[0]!;
          assert.ok(moved > 1e-3, `task ${i}: the inner loop moved the head (${moved})`);
          const ref = one.predict(e.query.x);
          const dp = tf.max(tf.abs(tf.sub(tf.gather(pred, i), ref))).dataSync()[0]!;
          assert.ok(dp <= REL * tf.max(tf.abs(ref)).dataSync()[0]!, `task ${i}: predictions differ by ${dp}`);
        });
      });
    }
    disposeParams(s.theta);
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    tasks.forEach(disposeEpisode);
  });

  test(`[${backend}] fallbacks: Conv-4 (adaptTasks declines) and unequal shapes take the per-task loop, with exactly its numbers`, async () => {
    await initEngine({ backend, log: () => {} });
    const start = tf.memory().numTensors;
    const s = sinusoidSetup({ innerSteps: 2 });
    const mixed = [...sinusoidEpisodes(1, 3, 10), ...sinusoidEpisodes(2, 1, 5)];
    const a = run(s, mixed, 'auto');
    assert.ok(!a.vectorised, 'differing shapes: loop');
    assert.deepEqual(a, run(s, mixed, 'off'), 'differing shapes: exactly the loop');
    mixed.forEach(disposeEpisode);
    disposeParams(s.theta);

    const spec: TaskSpec = { kind: 'classification', ways: 2 };
    const conv = createConv4({ inputShape: [6, 6, 1], filters: 3, activation: 'tanh' });
    const head = createLinearHead({ init: 'glorotUniform' });
    const solver = createImplicitSolver({ lambda: 2, innerSteps: 2, innerLr: 0.1, cgSteps: 3, cgTol: 0 });
    const theta = initModel(conv, head, 0, 2);
    const episodes = Array.from({ length: 3 }, (_, i) => syntheticEpisode(i, { kind: 'classification', ways: 2, shots: 2, queryShots: 2, inputShape: [6, 6, 1] }));
    tf.tidy(() => {
      const support = { x: tf.stack(episodes.map((e) => e.support.x)), y: tf.stack(episodes.map((e) => e.support.y)) };
      assert.equal(solver.adaptTasks!({ backbone: conv, head, theta, solverParams: {}, support, task: spec, metaTraining: true, tasks: 3 }), undefined, 'adaptTasks declines Conv-4');
    });
    const c: Setup = { backbone: conv, head, solver, theta, spec };
    const ca = run(c, episodes, 'auto');
    assert.ok(!ca.vectorised, 'Conv-4: loop');
    assert.equal(ca.hits.length, 3);
    assert.deepEqual(ca, run(c, episodes, 'off'), 'Conv-4: exactly the loop');
    episodes.forEach(disposeEpisode);
    disposeParams(theta);
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  });

  test(`[${backend}] host reads while computing the meta-gradient: none task-batched, CG's two scalars per iteration per task in the loop (exact and finite-difference HVPs)`, async () => {
    await initEngine({ backend, log: () => {} });
    const tasks = sinusoidEpisodes(3, 5, 10);
    const start = tf.memory().numTensors;
    for (const hvp of ['exact', 'finiteDifference'] as const) {
      const s = sinusoidSetup({ innerSteps: 2, hvp });
      for (const vectorise of ['auto', 'off'] as const) {
        const reads = { count: 0 };
        const r = run(s, tasks, vectorise, reads);
        assert.equal(r.vectorised, vectorise === 'auto');
        // Task-batched: none. Per task: CG's scalars only (r_0ᵀr_0, then pᵀAp and rᵀr per
        // iteration), none per Hessian-vector product (the finite-difference probe stays on the device).
        const expected = vectorise === 'auto' ? 0 : tasks.length * (1 + 2 * BASE.cgSteps!);
        assert.equal(reads.count, expected, `${hvp} ${vectorise}: host reads during the meta-gradient`);
      }
      disposeParams(s.theta);
    }
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    tasks.forEach(disposeEpisode);
  });
}

test('adaptTasks rejects a malformed stacked support set', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  const s = sinusoidSetup({ innerSteps: 1 });
  const start = tf.memory().numTensors;
  tf.tidy(() => {
    const x = tf.zeros([3, 4, 1]);
    const base = { backbone: s.backbone, head: s.head, theta: s.theta, solverParams: {}, task: s.spec, metaTraining: true };
    assert.throws(() => s.solver.adaptTasks!({ ...base, support: { x, y: tf.zeros([3, 5, 1]) }, tasks: 3 }), /implicit solver\.adaptTasks: input\.support\.x \[3, 4, 1\]/);
    assert.throws(() => s.solver.adaptTasks!({ ...base, support: { x, y: tf.zeros([3, 4, 1]) }, tasks: 2 }), /must be \[2, N_s/);
    assert.throws(() => s.solver.adaptTasks!({ ...base, support: { x, y: tf.zeros([3, 4, 1]) }, tasks: 0 }), /input\.tasks must be an integer >= 1/);
  });
  assert.equal(tf.memory().numTensors, start);
  disposeParams(s.theta);
});

test('implicitTaskFastWeights rejects onCgStop, a bad task count and inner solutions without the task dimension', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  const start = tf.memory().numTensors;
  tf.tidy(() => {
    const theta = { w: tf.ones([2, 3]) };
    const phiStar = { w: tf.ones([4, 2, 3]) };
    const loss = (p: Params) => tf.sum(tf.square(p['w']!)) as tf.Scalar;
    const is = (kind: 'invalidArgument' | 'shapeMismatch', pattern: RegExp) => (e: unknown) => MetaLearnError.is(e, kind) && pattern.test(e.message);
    assert.throws(() => implicitTaskFastWeights(theta, phiStar, loss, [], 4, { lambda: 1, cgSteps: 2, onCgStop: () => {} } as never), is('invalidArgument', /^implicitTaskFastWeights: options\.onCgStop is not supported/));
    assert.throws(() => implicitTaskFastWeights(theta, phiStar, loss, [], 0, { lambda: 1, cgSteps: 2 }), is('invalidArgument', /tasks must be an integer >= 1, got 0/));
    assert.throws(() => implicitTaskFastWeights(theta, phiStar, loss, [], 4, { lambda: 0, cgSteps: 2 }), is('invalidArgument', /options\.lambda must be a finite number > 0/));
    assert.throws(() => implicitTaskFastWeights(theta, { w: tf.ones([2, 3]) }, loss, [], 4, { lambda: 1, cgSteps: 2 }), is('shapeMismatch', /flattenTaskParams: params\['w'\] must be \[4, 2, 3\], got \[2, 3\]/));
    assert.throws(() => implicitTaskFastWeights(theta, { v: tf.ones([4, 2, 3]) }, loss, [], 4, { lambda: 1, cgSteps: 2 }), is('shapeMismatch', /phiStar must have the names of theta/));
  });
  assert.equal(tf.memory().numTensors, start);
});
