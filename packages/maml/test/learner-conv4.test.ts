// MAML++ on a Conv-4 with per-step batch norm (normSteps = K + 1 = 3) through the backprop
// learner, on every backend: the inner loop leaves batch-norm parameters alone
// (adapt '^(?!backbone/norm)', as the MAML++ reference code), support step k uses set k and the
// query after k steps set k, so one SGD meta-step with the multi-step loss changes all three
// sets (each receives a meta-gradient) and every other meta-parameter, second order, leaking nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createConv4, createLearner, createLinearHead, createRng, disposeEpisode, type Episode } from '@metalearn/core';
import { createGradientSolver } from '@metalearn/maml';

const backends = await availableBackends();

for (const backend of backends) {
  test(`[${backend}] MAML++ Conv-4 (per-step batch norm, LSLR, MSL): one meta-step reaches every per-step set and leaks nothing`, async () => {
    await tf.setBackend(backend);
    const learner = createLearner({
      backbone: createConv4({ inputShape: [8, 8, 1], filters: 4, normSteps: 3, activation: 'tanh' }),
      head: createLinearHead({ init: 'glorotUniform' }),
      solver: createGradientSolver({ innerSteps: 2, innerLr: 0.4, perStepLrs: true, adapt: '^(?!backbone/norm)', multiStepLoss: { annealSteps: 10 } }),
      task: { kind: 'classification', ways: 5 }, seed: 2, outerLr: 0.5, optimizer: 'sgd',
    });
    const rng = createRng(4);
    const set = (): { x: tf.Tensor; y: tf.Tensor } => ({
      x: tf.tensor4d(Array.from({ length: 10 * 64 }, () => rng.normal()), [10, 8, 8, 1]),
      y: tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2, 3, 4], 'int32'),
    });
    const episode: Episode = { kind: 'classification', ways: 5, shots: 2, queryShots: 2, support: set(), query: set() };
    const names = Object.keys(learner.params);
    for (const s of [0, 1, 2]) assert.ok(names.some((n) => n.startsWith(`backbone/norm1/step${s}/`)), `per-step set ${s} exists`);
    assert.ok(!names.some((n) => n.startsWith('solver/lr/backbone/norm')), 'batch-norm parameters are not adapted (no inner rate)');
    const before = Object.fromEntries(names.map((n) => [n, Array.from(learner.params[n]!.dataSync())]));
    const start = tf.memory().numTensors;
    const m = learner.metaTrainStep([episode]);
    assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    assert.ok(Number.isFinite(m.loss) && m.accuracy !== undefined && m.step === 1);
    const unchanged = names.filter((n) => Array.from(learner.params[n]!.dataSync()).every((v, j) => v === before[n]![j]));
    assert.deepEqual(unchanged, [], 'every meta-parameter (all per-step batch-norm sets, kernels, head, rates) was updated');
    disposeEpisode(episode);
    learner.dispose();
  });
}
