// iMAML through core's backprop learner:
// - core's learner conformance suite (shapes, determinism under a seed, exact checkpoints, no
//   leaked tensors over 20 meta-steps, every meta-parameter updated, and — with a converged inner
//   loop (50 SGD steps, λ = 2) and CG (30 steps), plain SGD outer lr 1 — the applied meta-gradient
//   against central finite differences of the meta-loss), on every backend;
// - memory flat in the inner steps: the peak of tf.memory() bytes during a meta-step (tf.profile)
//   is the same at 1, 10 and 40 inner steps, and the tensor count returns to its start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createLearner, createLinearHead, createMlp, disposeEpisode, initEngine } from '@metalearn/core';
import { describeLearnerConformance, syntheticEpisodes } from '@metalearn/core/testing';
import { createImplicitSolver } from '@metalearn/imaml';
import { everyBackend } from './helpers.js';

const backbone = (): ReturnType<typeof createMlp> => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 });
const classification = syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] });

describeLearnerConformance('backprop learner + implicit solver (converged inner loop, exact HVP, SGD outer)', {
  createLearner: (seed) => createLearner({
    backbone: backbone(), head: createLinearHead({ init: 'glorotUniform' }),
    solver: createImplicitSolver({ lambda: 2, innerSteps: 50, innerLr: 0.2, cgSteps: 30, cgTol: 1e-7 }),
    task: { kind: 'classification', ways: 3 }, seed, outerLr: 1, optimizer: 'sgd',
  }),
  episodes: classification,
  finiteDifference: { outerLr: 1 },
});

test('iMAML meta-step memory does not grow with the number of inner steps: tf.profile peak bytes at 1, 10, 40 steps (cpu, wasm)', async (t) => {
  for (const backend of everyBackend()) {
    await initEngine({ backend: backend as 'cpu' | 'wasm', log: () => {} });
    const start = tf.memory().numTensors;
    const peaks: number[] = [];
    for (const innerSteps of [1, 10, 40]) {
      const learner = createLearner({
        backbone: createMlp({ inputDim: 4, hiddenSizes: [32, 32], activation: 'tanh', weightStd: 0.3 }), head: createLinearHead(),
        solver: createImplicitSolver({ innerSteps, innerLr: 0.1 }), task: { kind: 'classification', ways: 3 }, seed: 0, outerLr: 1e-3,
      });
      const episodes = classification(1, 2);
      learner.metaTrainStep(episodes); // warm-up (kernels, wasm heap)
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        learner.metaTrainStep(episodes);
      });
      assert.equal(tf.memory().numTensors, before, `${backend}: ${innerSteps} inner steps: the meta-step leaves no tensor`);
      peaks.push(profile.peakBytes - tf.memory().numBytes);
      episodes.forEach(disposeEpisode);
      learner.dispose();
    }
    t.diagnostic(`${backend}: peak bytes above the resident ones during a meta-step at 1, 10, 40 inner steps: ${peaks.join(', ')}`);
    assert.ok(Math.max(...peaks) <= 1.01 * Math.min(...peaks), `${backend}: peaks ${peaks.join(', ')} must not grow with the inner steps`);
    assert.equal(tf.memory().numTensors, start, `${backend}: no tensor leaked`);
  }
});
