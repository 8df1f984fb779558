// Reptile by value, on a hand-computable quadratic task (linear regression y ~ x w + b with MSE:
// theta = {head/weight, head/bias}, gradients in closed form, references in float64):
// - one full-batch SGD inner step: theta' - theta = -epsilon_t * alpha * mean_i grad_i(theta) over
//   3 meta-steps of a linearly annealed epsilon, for both inner sets (support+query, support);
// - k = 3 inner steps on mini-batches (drawn from the documented seeds) by SGD and by Adam
//   (beta1 = 0, moments reset per task) against explicit float64 loops, meta-batch of 2;
// - adapt() runs evalInnerSteps full-batch steps on the support set only;
// - the epsilon schedule's values; the mini-batch sampler's semantics;
// - transductive and non-transductive evaluation agree without batch norm and differ with it, and
//   a non-transductive prediction is the last row of f_phi([support; x_j]).
// Tolerances: float32 against float64 references, 1e-5 relative (stated per check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  adam, applyModel, availableBackends, createConv4, createLinearHead, createMlp, createRng, deriveSeed, disposeEpisode, disposeParams,
  initModel, MetaLearnError, sgd, type Episode,
} from '@metalearn/core';
import { syntheticEpisode, syntheticEpisodes } from '@metalearn/core/testing';
import { createReptileLearner, innerLoop, linearSchedule, miniBatchIndices, reptilePredict, reptileUpdate, type ReptileOptions } from '@metalearn/reptile';

const backends = await availableBackends();
const D = 3;

/** Rows of a set as plain numbers: x [N][D], y [N]. */
function rows(set: { x: tf.Tensor; y: tf.Tensor }): { x: number[][]; y: number[] } {
  const xs = Array.from(set.x.dataSync());
  const n = set.x.shape[0]!;
  return { x: Array.from({ length: n }, (_, i) => xs.slice(i * D, (i + 1) * D)), y: Array.from(set.y.dataSync()) };
}

/** theta = [w_1..w_D, b] in float64. */
type Theta = number[];

/** MSE gradient of the linear model on the given rows: (2/N) sum_i r_i [x_i, 1]. */
function gradient(theta: Theta, x: number[][], y: number[]): number[] {
  const g = new Array<number>(D + 1).fill(0);
  x.forEach((xi, i) => {
    const r = xi.reduce((s, v, d) => s + v * theta[d]!, theta[D]!) - y[i]!;
    for (let d = 0; d < D; d++) g[d]! += (2 / x.length) * r * xi[d]!;
    g[D]! += (2 / x.length) * r;
  });
  return g;
}

function learnerTheta(learner: { params: Record<string, tf.Tensor> }): Theta {
  return [...Array.from(learner.params['head/weight']!.dataSync()), ...Array.from(learner.params['head/bias']!.dataSync())];
}

function linearLearner(options: Omit<ReptileOptions, 'outerLr'> & { outerLr?: number }, seed = 3) {
  return createReptileLearner({
    backbone: createMlp({ inputDim: D, hiddenSizes: [] }), head: createLinearHead({ init: 'normal', std: 0.7 }),
    task: { kind: 'regression', ways: 1 }, seed, outerLr: 1, ...options,
  });
}

const tasks = (seed: number, count: number, shots = 4, queryShots = 4): Episode[] =>
  syntheticEpisodes({ kind: 'regression', ways: 1, shots, queryShots, inputShape: [D] })(seed, count);

function maxRelError(got: number[], expected: number[]): number {
  return Math.max(...got.map((v, i) => Math.abs(v - expected[i]!) / (1e-3 + Math.abs(expected[i]!))));
}

test('one SGD inner step: theta\' - theta = -epsilon_t * alpha * mean_i grad_i(theta) (float64 closed form), epsilon annealed 1 -> 0.2 over 4 steps; both inner sets; on every backend', async (t) => {
  for (const backend of backends) {
    await t.test(backend, async () => {
      await tf.setBackend(backend);
      for (const innerSet of ['support+query', 'support'] as const) {
        const alpha = 0.05;
        const learner = linearLearner({ innerOptimizer: 'sgd', innerLr: alpha, innerSteps: 1, outerLrSchedule: 'linear', totalSteps: 4, finalOuterLr: 0.2, innerSet });
        const eps = [1, 0.8, 0.6];
        let worst = 0;
        for (let s = 0; s < 3; s++) {
          const batch = tasks(deriveSeed(11, s), 2);
          const theta = learnerTheta(learner);
          const grads = batch.map((e) => {
            const sup = rows(e.support);
            const qry = rows(e.query);
            return innerSet === 'support' ? gradient(theta, sup.x, sup.y) : gradient(theta, [...sup.x, ...qry.x], [...sup.y, ...qry.y]);
          });
          const expected = theta.map((v, j) => v - eps[s]! * alpha * (grads[0]![j]! + grads[1]![j]!) / 2);
          learner.metaTrainStep(batch);
          const got = learnerTheta(learner);
          const update = got.map((v, j) => v - theta[j]!);
          const expectedUpdate = expected.map((v, j) => v - theta[j]!);
          const err = Math.max(...update.map((u, j) => Math.abs(u - expectedUpdate[j]!) / Math.max(...expectedUpdate.map(Math.abs))));
          worst = Math.max(worst, err);
          assert.ok(err < 1e-4, `${innerSet}, meta-step ${s}: update ${update} vs ${expectedUpdate} (relative error ${err})`);
          batch.forEach(disposeEpisode);
        }
        t.diagnostic(`${backend}, ${innerSet}: max |update - float64| / max |update| = ${worst.toExponential(2)} (tolerance 1e-4)`);
        learner.dispose();
      }
    });
  }
});

test('k = 3 inner steps on mini-batches of 4 (support+query, 8 rows): SGD and Adam (beta1 0, reset per task) against explicit float64 loops; adapt() = 4 full-batch steps on the support set', async (t) => {
  await tf.setBackend('cpu');
  const seed = 5;
  const alpha = 0.05;
  for (const optimizer of ['sgd', 'adam'] as const) {
    const learner = linearLearner({ innerOptimizer: optimizer, innerLr: alpha, innerSteps: 3, innerBatchSize: 4, outerLr: 0.5, evalInnerSteps: 4 }, seed);
    const batch = tasks(21, 2);
    const theta = learnerTheta(learner);
    const phis = batch.map((e, i) => {
      const sup = rows(e.support);
      const qry = rows(e.query);
      const x = [...sup.x, ...qry.x];
      const y = [...sup.y, ...qry.y];
      const idx = miniBatchIndices(8, 4, 3, false, createRng(deriveSeed(seed, 'reptile', 'train', 0, i)));
      let phi = theta.slice();
      let m = new Array<number>(D + 1).fill(0);
      let v = new Array<number>(D + 1).fill(0);
      idx.forEach((b, j) => {
        const g = gradient(phi, b.map((r) => x[r]!), b.map((r) => y[r]!));
        if (optimizer === 'sgd') phi = phi.map((p, q) => p - alpha * g[q]!);
        else {
          m = g.slice(); // beta1 = 0
          v = v.map((vq, q) => 0.999 * vq + 0.001 * g[q]! ** 2);
          const c2 = 1 - 0.999 ** (j + 1);
          phi = phi.map((p, q) => p - alpha * m[q]! / (Math.sqrt(v[q]! / c2) + 1e-8));
        }
      });
      return phi;
    });
    const expected = theta.map((v, j) => v + 0.5 * ((phis[0]![j]! + phis[1]![j]!) / 2 - v));
    learner.metaTrainStep(batch);
    const got = learnerTheta(learner);
    const err = maxRelError(got, expected);
    assert.ok(err < 1e-5, `${optimizer}: theta ${got} vs float64 ${expected} (relative error ${err})`);
    // adapt(): 4 full-batch SGD/Adam steps on the support set only, from the updated theta.
    const e = batch[0]!;
    const sup = rows(e.support);
    let phi = got.slice();
    let v = new Array<number>(D + 1).fill(0);
    for (let j = 0; j < 4; j++) {
      const g = gradient(phi, sup.x, sup.y);
      if (optimizer === 'sgd') phi = phi.map((p, q) => p - alpha * g[q]!);
      else {
        v = v.map((vq, q) => 0.999 * vq + 0.001 * g[q]! ** 2);
        const c2 = 1 - 0.999 ** (j + 1);
        phi = phi.map((p, q) => p - alpha * g[q]! / (Math.sqrt(v[q]! / c2) + 1e-8));
      }
    }
    const adapted = tf.tidy(() => {
      const fw = learner.adapt(e.support, { kind: 'regression', ways: 1 }).fastWeights!;
      return [...Array.from(fw['head/weight']!.dataSync()), ...Array.from(fw['head/bias']!.dataSync())];
    });
    const errAdapt = maxRelError(adapted, phi);
    assert.ok(errAdapt < 1e-5, `${optimizer}: adapt() fast weights ${adapted} vs float64 ${phi} (relative error ${errAdapt})`);
    t.diagnostic(`${optimizer}: meta-step relative error ${err.toExponential(2)}, adapt() ${errAdapt.toExponential(2)} (tolerance 1e-5)`);
    batch.forEach(disposeEpisode);
    learner.dispose();
  }
});

test('reptileUpdate: theta + epsilon (mean phi - theta) element-wise; errors name the argument', () => {
  const theta = { a: tf.tensor1d([1, 2]), b: tf.scalar(-1) };
  const p1 = { a: tf.tensor1d([3, 2]), b: tf.scalar(1) };
  const p2 = { a: tf.tensor1d([1, 6]), b: tf.scalar(5) };
  const out = reptileUpdate(theta, [p1, p2], 0.5);
  assert.deepEqual(Array.from(out['a']!.dataSync()), [1.5, 3]);
  assert.deepEqual(Array.from(out['b']!.dataSync()), [1]); // -1 + 0.5 * ((1 + 5) / 2 - (-1))
  disposeParams(out);
  assert.throws(() => reptileUpdate(theta, [], 0.5), (e) => MetaLearnError.is(e, 'invalidArgument') && /phis/.test(e.message));
  assert.throws(() => reptileUpdate(theta, [p1], -1), (e) => MetaLearnError.is(e, 'invalidArgument') && /epsilon/.test(e.message));
  assert.throws(() => reptileUpdate(theta, [{ a: p1.a }], 1), (e) => MetaLearnError.is(e, 'invalidArgument') && /phis\[0\] has no 'b'/.test(e.message));
  tf.dispose([...Object.values(theta), ...Object.values(p1), ...Object.values(p2)]);
});

test('linearSchedule: (1 - t/T) eps0 + (t/T) eps_final, held after T; the learner applies it (see the closed-form test); bad values refused', () => {
  const s = linearSchedule({ initLr: 1, finalLr: 0, totalSteps: 4 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 100].map(s), [1, 0.75, 0.5, 0.25, 0, 0, 0]);
  const up = linearSchedule({ initLr: 0.1, finalLr: 0.3, totalSteps: 2 });
  assert.ok(Math.abs(up(1) - 0.2) < 1e-15);
  assert.throws(() => linearSchedule({ initLr: -1, finalLr: 0, totalSteps: 4 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /initLr/.test(e.message));
  assert.throws(() => linearSchedule({ initLr: 1, finalLr: 0, totalSteps: 0 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /totalSteps/.test(e.message));
});

test('miniBatchIndices: without replacement, consecutive passes are permutations (a batch may straddle two); with replacement, distinct examples per batch; deterministic in the seed', () => {
  const flat = miniBatchIndices(5, 2, 5, false, createRng(1)).flat();
  assert.equal(flat.length, 10);
  assert.deepEqual(flat.slice(0, 5).sort(), [0, 1, 2, 3, 4], 'first pass: a permutation');
  assert.deepEqual(flat.slice(5, 10).sort(), [0, 1, 2, 3, 4], 'second pass: a permutation');
  assert.deepEqual(miniBatchIndices(5, 2, 5, false, createRng(1)), miniBatchIndices(5, 2, 5, false, createRng(1)));
  assert.notDeepEqual(miniBatchIndices(5, 2, 5, false, createRng(1)), miniBatchIndices(5, 2, 5, false, createRng(2)));
  const big = miniBatchIndices(3, 5, 2, false, createRng(3));
  assert.deepEqual(big.map((b) => b.length), [5, 5], 'batches larger than the set straddle passes');
  assert.deepEqual(big.flat().slice(0, 3).sort(), [0, 1, 2]);
  for (const b of miniBatchIndices(6, 4, 20, true, createRng(4))) assert.equal(new Set(b).size, 4, `distinct within a batch: ${b}`);
  assert.throws(() => miniBatchIndices(3, 4, 1, true, createRng(0)), (e) => MetaLearnError.is(e, 'invalidArgument') && /batchSize \(4\) must be <= n \(3\)/.test(e.message));
  assert.deepEqual(miniBatchIndices(3, 2, 0, false, createRng(0)), []);
});

test('transductive vs non-transductive: equal without batch norm, different with it; a non-transductive prediction is the last row of f_phi([support; x_j]) and ignores the other query examples; on every backend', async (t) => {
  for (const backend of backends) {
    await t.test(backend, async () => {
      await tf.setBackend(backend);
      const start = tf.memory().numTensors;
      const common = { task: { kind: 'classification' as const, ways: 3 }, seed: 2, outerLr: 0.5, innerOptimizer: 'sgd' as const, innerLr: 0.1, innerSteps: 2 };
      const spec = { kind: 'classification' as const, ways: 3, shots: 2, queryShots: 3 };
      const losses = (makeBackbone: () => ReturnType<typeof createMlp>, inputShape: number[]): number[] => {
        const episode = syntheticEpisode(8, { ...spec, inputShape });
        const out = [true, false].map((transductive) => {
          const l = createReptileLearner({ ...common, backbone: makeBackbone(), head: createLinearHead({ init: 'glorotUniform' }), transductive });
          const train = syntheticEpisodes({ ...spec, inputShape })(9, 2);
          l.metaTrainStep(train);
          train.forEach(disposeEpisode);
          const s = l.evaluate(episode).loss;
          l.dispose();
          return s;
        });
        disposeEpisode(episode);
        return out;
      };
      const [mlpT, mlpN] = losses(() => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 }), [4]);
      const mlpRel = Math.abs(mlpT! - mlpN!) / Math.abs(mlpT!);
      assert.ok(mlpRel < 1e-6, `MLP (no batch norm): transductive ${mlpT} = non-transductive ${mlpN} (relative difference ${mlpRel})`);
      const [convT, convN] = losses(() => createConv4({ inputShape: [6, 6, 1], filters: 3 }), [6, 6, 1]);
      const convRel = Math.abs(convT! - convN!) / Math.abs(convT!);
      assert.ok(convRel > 1e-3, `Conv-4 with batch norm: transductive ${convT} differs from non-transductive ${convN}`);
      t.diagnostic(`${backend}: MLP ${mlpT} vs ${mlpN} (relative ${mlpRel.toExponential(2)}); Conv-4 + BN ${convT} vs ${convN} (relative ${convRel.toExponential(2)})`);
      // The protocol itself, on Conv-4 with batch norm.
      const backbone = createConv4({ inputShape: [6, 6, 1], filters: 3 });
      const head = createLinearHead({ init: 'glorotUniform' });
      const phi = initModel(backbone, head, 4, 3);
      const e = syntheticEpisode(10, { ...spec, inputShape: [6, 6, 1] });
      tf.tidy(() => {
        const all = reptilePredict(backbone, head, phi, e.support.x, e.query.x, false, 0);
        for (const j of [0, 4]) {
          const manual = tf.slice(applyModel(backbone, head, phi, tf.concat([e.support.x, tf.slice(e.query.x, j, 1)]), { training: true, innerStep: 0 }), 6, 1);
          assert.deepEqual(Array.from(tf.slice(all, j, 1).dataSync()), Array.from(manual.dataSync()), `row ${j} = last row of f([support; x_${j}])`);
        }
        const firstTwo = reptilePredict(backbone, head, phi, e.support.x, tf.slice(e.query.x, 0, 2), false, 0);
        assert.deepEqual(Array.from(tf.slice(firstTwo, 0, 1).dataSync()), Array.from(tf.slice(all, 0, 1).dataSync()), 'non-transductive: row 0 does not depend on the other query examples');
        const tAll = reptilePredict(backbone, head, phi, e.support.x, e.query.x, true, 0);
        const tTwo = reptilePredict(backbone, head, phi, e.support.x, tf.slice(e.query.x, 0, 2), true, 0);
        assert.notDeepEqual(Array.from(tf.slice(tTwo, 0, 1).dataSync()), Array.from(tf.slice(tAll, 0, 1).dataSync()), 'transductive: row 0 depends on the query batch (batch norm)');
      });
      disposeParams(phi);
      disposeEpisode(e);
      assert.equal(tf.memory().numTensors, start, 'no tensor left');
    });
  }
});

test('innerLoop leaves theta untouched and holds no tensor beyond phi; Reptile keeps the meta-parameters when the adapted loss is not finite', async () => {
  await tf.setBackend('cpu');
  const backbone = createMlp({ inputDim: D, hiddenSizes: [4] });
  const head = createLinearHead();
  const theta = initModel(backbone, head, 1, 1);
  const before = Object.fromEntries(Object.entries(theta).map(([n, v]) => [n, Array.from(v.dataSync())]));
  const e = tasks(3, 1)[0]!;
  const start = tf.memory().numTensors;
  const phi = innerLoop(theta, e.support, { backbone, head, kind: 'regression', optimizer: adam(), innerLr: 0.01, steps: 5, batchSize: 2, rng: createRng(0) });
  assert.equal(tf.memory().numTensors, start + Object.keys(theta).length, 'only phi is left');
  disposeParams(phi);
  for (const [n, v] of Object.entries(theta)) assert.deepEqual(Array.from(v.dataSync()), before[n]);
  assert.throws(() => innerLoop(theta, e.support, { backbone, head, kind: 'regression', optimizer: sgd(), innerLr: 0.01, steps: 2, batchSize: 2 }), (err) => MetaLearnError.is(err, 'invalidArgument') && /spec\.rng is required/.test(err.message));
  disposeParams(theta);
  const learner = linearLearner({ innerOptimizer: 'sgd', innerLr: 1e6, innerSteps: 8 });
  const p0 = learnerTheta(learner);
  const big = tasks(4, 1, 8, 8);
  assert.throws(() => learner.metaTrainStep(big), (err) => MetaLearnError.is(err, 'nonFinite') && /left unchanged/.test(err.message));
  assert.deepEqual(learnerTheta(learner), p0);
  big.forEach(disposeEpisode);
  disposeEpisode(e);
  learner.dispose();
});
