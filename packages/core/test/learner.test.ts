// The backprop learner (core's outer loop), checked as values with a small second-order
// gradient-descent solver written here (core never imports an algorithm package):
// - one SGD meta-step moves every meta-parameter (theta and the solver's) by -outerLr times the
//   finite-difference gradient of the meta-objective J = mean_i [sum_k w_k L_k + R_i] (MSL weights
//   and regulariser from the solver included); the reported loss is the mean final-step query loss;
// - Adam's first step is -outerLr * sign(g); cosine schedule reaches minLr; gradClip bounds the
//   step; a non-finite objective, or a non-finite meta-gradient under a finite objective, throws
//   and leaves the parameters alone;
// - state()/load() round-trips exactly (JSON), including Adam's moments and count;
// - checkpoints that do not match, and malformed tasks, throw MetaLearnErrors naming the culprit;
// - no tensor leaks over 20 meta-steps.
// Finite differences: fourth-order central stencil, h = 5e-3, on float32 objectives combined in
// float64; tolerance 5e-4 of the gradient's scale (measured 1.2e-4 and 1.9e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  MetaLearnError, applyModel, createLearner, createLinearHead, createMlp, createPluginContainer, createRng,
  initEngine, coreModule, resolvePlugin, taskLoss, disposeEpisode,
  type Adaptation, type Episode, type InnerSolver, type InnerSolverInput, type Learner, type Params, type TaskSpec,
} from '@metalearn/core';
import { sinusoidEpisodes } from '@metalearn/core/testing';

await initEngine({ backend: 'cpu', log: () => {} });

interface TestSolverOptions { readonly steps?: number; readonly msl?: boolean; readonly regulariser?: 'none' | 'lr2' | 'nan' | 'nanGrad' }

/** A second-order gradient-descent solver with one learned scalar rate `lr` (test double). */
function testSolver(o: TestSolverOptions = {}): InnerSolver {
  const steps = o.steps ?? 1;
  return {
    name: 'test-gd',
    initParams: () => ({ lr: tf.scalar(0.1) }),
    adapt(input: InnerSolverInput): Adaptation {
      const lr = input.solverParams['lr']!;
      const names = Object.keys(input.theta).sort();
      let fast: Params = input.theta;
      const path: Params[] = [];
      for (let k = 0; k < steps; k++) {
        const cur = fast;
        const { value, grads } = tf.engine().gradients(
          () => taskLoss(input.task.kind, applyModel(input.backbone, input.head, cur, input.support.x, { training: true }), input.support.y),
          names.map((n) => cur[n]!),
        );
        value.dispose();
        fast = Object.fromEntries(names.map((n, i) => [n, tf.sub(cur[n]!, tf.mul(lr, grads[i]!))]));
        path.push(fast);
      }
      const predictAt = (p: Params) => (x: tf.Tensor) => applyModel(input.backbone, input.head, p, x, { training: true });
      const out: Adaptation = { predict: predictAt(fast), fastWeights: fast, stepPredict: (x) => path.map((p) => predictAt(p)(x)) };
      const extra: Record<string, unknown> = {};
      if (o.msl) extra['queryLossWeights'] = steps === 2 ? [0.3, 0.7] : Array.from({ length: steps }, () => 1 / steps);
      if (o.regulariser === 'lr2') extra['regulariser'] = tf.mul(tf.square(lr), 0.5);
      if (o.regulariser === 'nan') extra['regulariser'] = tf.scalar(NaN);
      // Zero in value, NaN in gradient: a finite meta-objective with a non-finite meta-gradient.
      if (o.regulariser === 'nanGrad') extra['regulariser'] = tf.customGrad(((x: tf.Tensor) => ({ value: tf.mul(x, 0), gradFunc: (dy: tf.Tensor) => tf.mul(dy, NaN) })) as unknown as Parameters<typeof tf.customGrad>[0])(lr) as tf.Scalar;
      return { ...out, ...extra } as Adaptation;
    },
  };
}

const regression: TaskSpec = { kind: 'regression', ways: 1 };
const classification: TaskSpec = { kind: 'classification', ways: 3 };

/** Seeded sinusoid-like regression episodes (K support, K query points; A ~ U[0.5, 2], x ~ U[-3, 3]). */
function regressionTasks(seed: number, n: number, k = 5): Episode[] {
  return sinusoidEpisodes(seed, n, k, { amplitude: [0.5, 2], x: [-3, 3] });
}

/** Seeded 3-way classification episodes on 2-d points (class means apart), 2 shots, 2 query shots. */
function classificationTasks(seed: number, n: number): Episode[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const means = [0, 1, 2].map(() => [rng.normal() * 2, rng.normal() * 2]);
    const set = (shots: number) => {
      const labels = Array.from({ length: 3 * shots }, (_, i) => i % 3);
      const xs = labels.flatMap((c) => [means[c]![0]! + rng.normal() * 0.5, means[c]![1]! + rng.normal() * 0.5]);
      return { x: tf.tensor2d(xs, [3 * shots, 2]), y: tf.tensor1d(labels, 'int32') };
    };
    return { kind: 'classification', ways: 3, shots: 2, queryShots: 2, support: set(2), query: set(2) } satisfies Episode;
  });
}

function regressionLearner(solver: InnerSolver, extra: Record<string, unknown> = {}): Learner {
  return createLearner({
    backbone: createMlp({ inputDim: 1, hiddenSizes: [6, 6], activation: 'tanh', weightStd: 0.8 }),
    head: createLinearHead({ init: 'normal', std: 0.5 }),
    solver, task: regression, seed: 11, outerLr: 0.1, optimizer: 'sgd', ...extra,
  });
}

function classificationLearner(extra: Record<string, unknown> = {}): Learner {
  return createLearner({
    backbone: createMlp({ inputDim: 2, hiddenSizes: [8], activation: 'tanh', weightStd: 0.5 }),
    head: createLinearHead(), solver: testSolver(), task: classification, seed: 3, outerLr: 0.01, ...extra,
  });
}

function snapshot(params: Params): Record<string, number[]> {
  return Object.fromEntries(Object.entries(params).map(([n, t]) => [n, Array.from(t.dataSync())]));
}

/** J(params) = mean_i [sum_k w_k L_ik + R_i], recomputed from the solver outside the learner. */
function objective(learnerParams: Params, tasks: Episode[], solver: InnerSolver, backbone: ReturnType<typeof createMlp>, head: ReturnType<typeof createLinearHead>, task: TaskSpec): tf.Scalar {
  return tf.tidy(() => {
    const theta = Object.fromEntries(Object.entries(learnerParams).filter(([n]) => !n.startsWith('solver/')));
    const sp = Object.fromEntries(Object.entries(learnerParams).filter(([n]) => n.startsWith('solver/')).map(([n, t]) => [n.slice(7), t]));
    const per = tasks.map((e) => {
      const a = solver.adapt({ backbone, head, theta, solverParams: sp, support: e.support, task, metaTraining: true, metaStep: 0 });
      let j: tf.Scalar = a.queryLossWeights
        ? (tf.addN(a.stepPredict!(e.query.x).map((p, k) => tf.mul(taskLoss(task.kind, p, e.query.y), a.queryLossWeights![k]!))) as tf.Scalar)
        : taskLoss(task.kind, a.predict(e.query.x), e.query.y);
      if (a.regulariser) j = tf.add(j, a.regulariser);
      return j;
    });
    return tf.div(tf.addN(per), per.length) as tf.Scalar;
  });
}

function fd(f: (p: Params) => tf.Scalar, params: Params, h: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [n, t] of Object.entries(params)) {
    const base = t.dataSync().slice();
    out[n] = Array.from(base, (_, j) => {
      const at = (d: number): number => {
        const v = Float32Array.from(base);
        v[j] = v[j]! + d;
        const pt = tf.tensor(v, t.shape);
        const l = f({ ...params, [n]: pt });
        const r = l.dataSync()[0]!;
        l.dispose();
        pt.dispose();
        return r;
      };
      return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
    });
  }
  return out;
}

for (const variant of [{ steps: 1 }, { steps: 2, msl: true, regulariser: 'lr2' }] as const) {
  test(`one SGD meta-step moves every meta-parameter by -outerLr * (finite-difference meta-gradient), ${JSON.stringify(variant)}`, () => {
    const backbone = createMlp({ inputDim: 1, hiddenSizes: [6, 6], activation: 'tanh', weightStd: 0.8 });
    const head = createLinearHead({ init: 'normal', std: 0.5 });
    const solver = testSolver(variant);
    const learner = createLearner({ backbone, head, solver, task: regression, seed: 11, outerLr: 0.1, optimizer: 'sgd' });
    const tasks = regressionTasks(5, 3);
    const before = snapshot(learner.params);
    const frozen = Object.fromEntries(Object.entries(before).map(([n, v]) => [n, tf.tensor(v, learner.params[n]!.shape)]));
    const g = fd((p) => objective(p, tasks, solver, backbone, head, regression), frozen, 5e-3);
    const j0 = objective(frozen, tasks, solver, backbone, head, regression);
    const finalLoss = tf.tidy(() => {
      const theta = Object.fromEntries(Object.entries(frozen).filter(([n]) => !n.startsWith('solver/')));
      const ls = tasks.map((e) => taskLoss('regression', solver.adapt({ backbone, head, theta, solverParams: { lr: frozen['solver/lr']! }, support: e.support, task: regression, metaTraining: true }).predict(e.query.x), e.query.y));
      return tf.div(tf.addN(ls), ls.length);
    });
    const m = learner.metaTrainStep(tasks);
    assert.equal(m.step, 1);
    assert.ok(Math.abs(m.loss - finalLoss.dataSync()[0]!) <= 1e-6 * m.loss, `reported loss ${m.loss} = mean final-step query loss ${finalLoss.dataSync()[0]}`);
    if (variant.steps === 2) assert.ok(Math.abs(m.loss - j0.dataSync()[0]!) > 1e-3, 'the objective (MSL + regulariser) is not the reported loss');
    const after = snapshot(learner.params);
    assert.ok('solver/lr' in after, 'the solver parameter is a meta-parameter');
    let err = 0;
    let scale = 0;
    for (const n of Object.keys(before)) {
      before[n]!.forEach((b, j) => {
        const step = (after[n]![j]! - b) / -0.1; // the applied gradient
        err = Math.max(err, Math.abs(step - g[n]![j]!));
        scale = Math.max(scale, Math.abs(g[n]![j]!));
      });
    }
    if (process.env["H6_VERBOSE"]) console.log("applied vs FD", err, scale);
    assert.ok(scale > 1e-2 && err <= 5e-4 * scale, `applied gradient vs FD: ${err} (scale ${scale})`);
    for (const t of [...Object.values(frozen), j0, finalLoss]) t.dispose();
    tasks.forEach(disposeEpisode);
    learner.dispose();
  });
}

test("Adam's first meta-step is -outerLr * sign(g); cosine schedule reaches minLr; gradClip bounds the step", () => {
  const tasks = regressionTasks(6, 2);
  const a = regressionLearner(testSolver(), { optimizer: 'adam', outerLr: 1e-3 });
  const s = regressionLearner(testSolver(), { optimizer: 'sgd', outerLr: 1 });
  const p0 = snapshot(a.params);
  a.metaTrainStep(tasks);
  s.metaTrainStep(tasks); // SGD with lr 1: the step is -g
  const pa = snapshot(a.params);
  const ps = snapshot(s.params);
  for (const n of Object.keys(p0)) {
    p0[n]!.forEach((b, j) => {
      const g = b - ps[n]![j]!;
      if (Math.abs(g) < 1e-4) return;
      assert.ok(Math.abs(pa[n]![j]! - (b - 1e-3 * Math.sign(g))) < 2e-7, `${n}[${j}]: ${pa[n]![j]} vs ${b - 1e-3 * Math.sign(g)}`);
    });
  }
  a.dispose();
  s.dispose();

  const c = regressionLearner(testSolver(), { outerLrSchedule: 'cosine', totalSteps: 3, minLr: 0 });
  for (let i = 0; i < 3; i++) c.metaTrainStep(tasks);
  const pc = snapshot(c.params);
  const m = c.metaTrainStep(tasks); // lr(3) = minLr = 0
  assert.equal(m.step, 4);
  assert.deepEqual(snapshot(c.params), pc, 'at t = totalSteps the rate is minLr = 0');
  c.dispose();

  const clip = regressionLearner(testSolver(), { outerLr: 0.5, gradClip: 1e-3 });
  const q0 = snapshot(clip.params);
  clip.metaTrainStep(tasks);
  const q1 = snapshot(clip.params);
  const norm = Math.hypot(...Object.keys(q0).flatMap((n) => q0[n]!.map((v, j) => q1[n]![j]! - v)));
  assert.ok(Math.abs(norm - 0.5 * 1e-3) < 1e-6, `clipped step norm ${norm} = outerLr * gradClip`);
  clip.dispose();
  tasks.forEach(disposeEpisode);
});

test('a non-finite meta-objective throws nonFinite and leaves the meta-parameters unchanged', () => {
  const tasks = regressionTasks(7, 2);
  const learner = regressionLearner(testSolver({ regulariser: 'nan' }));
  const before = snapshot(learner.params);
  const start = tf.memory().numTensors;
  assert.throws(() => learner.metaTrainStep(tasks), (e) => MetaLearnError.is(e, 'nonFinite') && /meta-objective is NaN at meta-step 0/.test(e.message));
  assert.deepEqual(snapshot(learner.params), before);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked by the failed step');
  assert.equal(learner.state().step, 0);
  learner.dispose();
  tasks.forEach(disposeEpisode);
});

test('a non-finite meta-gradient under a finite meta-objective throws nonFinite naming the parameter, and changes nothing', () => {
  const tasks = regressionTasks(7, 2);
  const learner = regressionLearner(testSolver({ regulariser: 'nanGrad' }));
  const before = snapshot(learner.params);
  const start = tf.memory().numTensors;
  assert.throws(() => learner.metaTrainStep(tasks), (e) => MetaLearnError.is(e, 'nonFinite') && /metaTrainStep: parts\[0\]\.sums\['solver\/lr'\]\[0\] is NaN: the meta-gradient is not finite although the meta-objective is \(\d/.test(e.message));
  assert.deepEqual(snapshot(learner.params), before);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked by the failed step');
  assert.equal(learner.state().step, 0);
  const ok = regressionLearner(testSolver());
  ok.metaTrainStep(tasks); // the same tasks with a finite gradient pass
  assert.equal(ok.state().step, 1);
  ok.dispose();
  learner.dispose();
  tasks.forEach(disposeEpisode);
});

test('a solver whose predictions ignore every meta-parameter is an invalidArgument naming it, not a tfjs error', () => {
  const tasks = regressionTasks(7, 2);
  const deaf: InnerSolver = { name: 'deaf', initParams: () => ({}), adapt: () => ({ predict: (x: tf.Tensor) => tf.zeros([x.shape[0]!, 1]) as tf.Tensor2D }) };
  const learner = regressionLearner(deaf);
  const before = snapshot(learner.params);
  assert.throws(() => learner.metaTrainStep(tasks), (e) => MetaLearnError.is(e, 'invalidArgument') && /metaTrainStep: the meta-objective does not depend on any meta-parameter: inner solver 'deaf'/.test(e.message));
  assert.deepEqual(snapshot(learner.params), before);
  learner.dispose();
  tasks.forEach(disposeEpisode);
});

test('state()/load() round-trips exactly through JSON, Adam moments and count included', () => {
  const tasks = classificationTasks(8, 3);
  const a = classificationLearner();
  for (let i = 0; i < 3; i++) a.metaTrainStep(tasks);
  const json = JSON.stringify(a.state());
  const saved = JSON.parse(json);
  assert.equal(saved.step, 3);
  assert.equal(saved.extra.optimizerCount, 3);
  assert.ok(Object.keys(saved.tensors).some((k) => k.startsWith('optimizer/m/')) && Object.keys(saved.tensors).some((k) => k.startsWith('optimizer/v/')));
  const b = createLearner({
    backbone: createMlp({ inputDim: 2, hiddenSizes: [8], activation: 'tanh', weightStd: 0.5 }),
    head: createLinearHead(), solver: testSolver(), task: classification, seed: 99, outerLr: 0.01,
  });
  b.load(saved);
  assert.equal(JSON.stringify(b.state()), json, 'the loaded state serialises identically');
  const ma = a.metaTrainStep(tasks);
  const mb = b.metaTrainStep(tasks);
  assert.deepEqual(mb, ma, 'the next step gives the same metrics');
  assert.deepEqual(snapshot(b.params), snapshot(a.params), 'and bitwise-equal meta-parameters');
  assert.equal(ma.step, 4);
  assert.ok(ma.accuracy !== undefined && ma.accuracy >= 0 && ma.accuracy <= 1);
  a.dispose();
  b.dispose();
  tasks.forEach(disposeEpisode);
});

test('load rejects checkpoints that do not match, naming the problem, and changes nothing', () => {
  const learner = classificationLearner();
  const good = JSON.parse(JSON.stringify(learner.state()));
  const before = JSON.stringify(learner.state());
  const name = Object.keys(good.tensors).find((k) => k.startsWith('params/backbone/'))!;
  const cases: Array<[(s: any) => void, RegExp]> = [
    [(s) => (s.learner = 'reptile'), /state\.learner must be 'backprop'/],
    [(s) => delete s.tensors[name], new RegExp(`state\\.tensors has no '${name}'`)],
    [(s) => (s.tensors[name].shape = [1, 2, 3]), new RegExp(`state\\.tensors\\['${name}'\\]\\.shape must be`)],
    [(s) => (s.tensors[name].values[0] = null), /values\[0\] must be a finite number/],
    [(s) => (s.tensors[name].values = s.tensors[name].values.slice(1)), /values must hold/],
    [(s) => (s.tensors['params/extra'] = { shape: [1], values: [0] }), /'params\/extra', which this learner does not hold/],
    [(s) => (s.extra.optimizer = 'sgd'), /state\.extra\.optimizer must be 'adam'/],
    [(s) => (s.step = -1), /state\.step must be an integer >= 0/],
  ];
  for (const [mutate, pattern] of cases) {
    const s = JSON.parse(JSON.stringify(good));
    mutate(s);
    assert.throws(() => learner.load(s), (e) => MetaLearnError.is(e, 'checkpoint') && pattern.test(e.message), pattern.source);
    assert.equal(JSON.stringify(learner.state()), before, 'unchanged after a rejected load');
  }
  learner.dispose();
});

test('malformed tasks throw MetaLearnErrors naming metaTrainStep: tasks[i]...', () => {
  const learner = regressionLearner(testSolver());
  const tasks = regressionTasks(9, 2);
  const badX = { ...tasks[1]!, support: { x: tf.zeros([5, 2]), y: tasks[1]!.support.y } };
  assert.throws(() => learner.metaTrainStep([tasks[0]!, badX]), (e) => MetaLearnError.is(e, 'shapeMismatch') && e.message === 'metaTrainStep: tasks[1].support.x must be float32 [N, 1] with N >= 1, got float32 [5, 2]');
  const badY = { ...tasks[0]!, query: { x: tasks[0]!.query.x, y: tf.zeros([4, 1]) } };
  assert.throws(() => learner.metaTrainStep([badY]), (e) => MetaLearnError.is(e, 'shapeMismatch') && /^metaTrainStep: tasks\[0\]\.query\.y must be float32 \[5, 1\]/.test(e.message));
  const intX = { ...tasks[0]!, support: { x: tf.zeros([5, 1], 'int32'), y: tasks[0]!.support.y } };
  assert.throws(() => learner.metaTrainStep([intX]), (e) => MetaLearnError.is(e, 'invalidArgument') && /tasks\[0\]\.support\.x must be float32/.test(e.message));
  const ways = { ...tasks[1]!, ways: 2 };
  assert.throws(() => learner.metaTrainStep([tasks[0]!, ways]), (e) => MetaLearnError.is(e, 'invalidArgument') && /tasks\[1\]\.ways must be 1/.test(e.message));
  assert.throws(() => learner.metaTrainStep([]), (e) => MetaLearnError.is(e, 'invalidArgument') && /non-empty/.test(e.message));
  const cls = classificationLearner();
  const ct = classificationTasks(10, 1)[0]!;
  const badLabel = { ...ct, support: { x: ct.support.x, y: tf.tensor1d([0, 1, 2, 0, 1, 3], 'int32') } };
  assert.throws(() => cls.metaTrainStep([badLabel]), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message === 'metaTrainStep: tasks[0].support.y[5] must be a label in [0, 3) (ways = 3), got 3');
  assert.throws(() => cls.evaluate({ ...ct, kind: 'regression' }), (e) => MetaLearnError.is(e, 'invalidArgument') && /evaluate: episode\.kind must be 'classification'/.test(e.message));
  assert.throws(() => cls.adapt(ct.support, { kind: 'classification', ways: 5 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /adapt: task\.ways must be 3/.test(e.message));
  assert.equal(learner.state().step, 0, 'nothing was applied');
  for (const t of [badX.support.x, badY.query.y, intX.support.x, badLabel.support.y]) t.dispose();
  tasks.forEach(disposeEpisode);
  disposeEpisode(ct);
  learner.dispose();
  cls.dispose();
});

test('evaluate scores the adapted query set; adapt hands out caller-owned tensors; no leaks over 20 meta-steps', () => {
  const start = tf.memory().numTensors;
  const learner = classificationLearner({ outerLr: 0.05 });
  const tasks = classificationTasks(12, 4);
  const held = classificationTasks(13, 1)[0]!;
  const afterSetup = tf.memory().numTensors;
  const first = learner.evaluate(held);
  for (let i = 0; i < 20; i++) {
    learner.metaTrainStep(tasks);
    assert.equal(tf.memory().numTensors, afterSetup, `meta-step ${i}: tensors back to start`);
  }
  const score = learner.evaluate(held);
  assert.equal(tf.memory().numTensors, afterSetup, 'evaluate leaks nothing');
  // evaluate = the query loss and accuracy of adapt(support).predict(query.x)
  const manual = tf.tidy(() => {
    const a = learner.adapt(held.support, classification);
    const logits = a.predict(held.query.x);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), held.query.y), 'float32'));
    return [taskLoss('classification', logits, held.query.y).dataSync()[0]!, hits.dataSync()[0]! / 6];
  }) as unknown as number[];
  assert.ok(Math.abs(score.loss - manual[0]!) < 1e-6 && score.accuracy === manual[1], `${JSON.stringify(score)} vs ${manual}`);
  assert.ok(score.loss < first.loss, `meta-training lowered the held-out query loss: ${first.loss} -> ${score.loss}`);
  // Disposing everything an adaptation holds must not break the learner.
  const a = learner.adapt(held.support, classification);
  for (const t of Object.values(a.fastWeights!)) t.dispose();
  learner.metaTrainStep(tasks);
  tasks.forEach(disposeEpisode);
  disposeEpisode(held);
  learner.dispose();
  assert.throws(() => learner.metaTrainStep(tasks), (e) => MetaLearnError.is(e, 'invalidArgument') && /disposed/.test(e.message));
  // the adaptation's un-disposed intermediates were created outside a tidy (the caller's to free)
  assert.ok(tf.memory().numTensors >= start);
});

test("coreModule binds learner 'backprop'; its options are validated by name", () => {
  const c = createPluginContainer(coreModule);
  const plugin = resolvePlugin(c, 'learner', 'backprop');
  const parts = { backbone: createMlp({ inputDim: 1, hiddenSizes: [4] }), head: createLinearHead(), solver: testSolver(), task: regression, seed: 0 };
  const l = plugin.create({ ...parts, options: { outerLr: 1e-3, optimizer: 'sgd', outerLrSchedule: 'cosine', totalSteps: 10 } });
  assert.equal(l.name, 'backprop');
  assert.ok('solver/lr' in l.params && 'head/weight' in l.params);
  l.dispose();
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /options\.outerLr/],
    [{ outerLr: 0 }, /options\.outerLr/],
    [{ outerLr: 1e-3, optimizer: 'rmsprop' }, /options\.optimizer/],
    [{ outerLr: 1e-3, outerLrSchedule: 'cosine' }, /options\.totalSteps is required/],
    [{ outerLr: 1e-3, gradClip: -1 }, /options\.gradClip/],
    [{ outerLr: 1e-3, momentum: 0.9 }, /momentum/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create({ ...parts, options }), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && /learner 'backprop'/.test(e.message), JSON.stringify(options));
  }
});
