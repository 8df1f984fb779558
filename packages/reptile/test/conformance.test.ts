// Core's learner conformance suite on Reptile (shapes, determinism under a seed, checkpoints
// through JSON continuing bitwise, no leaked tensors over 20 meta-steps, every meta-parameter
// updated), on every backend: SGD full-batch on an MLP (classification), and Adam on mini-batches
// with replacement on a Conv-4 with batch norm, non-transductive evaluation (regression). The
// finite-difference property does not apply: Reptile's update is not the gradient of its loss.
import { createConv4, createLinearHead, createMlp } from '@metalearn/core';
import { describeLearnerConformance, syntheticEpisodes } from '@metalearn/core/testing';
import { createReptileLearner } from '@metalearn/reptile';

describeLearnerConformance('reptile (SGD, full batch, MLP, linear epsilon)', {
  createLearner: (seed) => createReptileLearner({
    backbone: createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 }), head: createLinearHead({ init: 'glorotUniform' }),
    task: { kind: 'classification', ways: 3 }, seed,
    outerLr: 0.5, outerLrSchedule: 'linear', totalSteps: 30, finalOuterLr: 0.05, innerOptimizer: 'sgd', innerLr: 0.1, innerSteps: 3,
  }),
  episodes: syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] }),
});

describeLearnerConformance('reptile (Adam, mini-batches with replacement, Conv-4 with batch norm, non-transductive)', {
  createLearner: (seed) => createReptileLearner({
    backbone: createConv4({ inputShape: [6, 6, 1], filters: 3 }), head: createLinearHead({ init: 'glorotUniform' }),
    task: { kind: 'regression', ways: 2 }, seed,
    outerLr: 1, innerOptimizer: 'adam', innerLr: 1e-2, innerSteps: 2, innerBatchSize: 3, replacement: true, evalInnerSteps: 3, transductive: false,
  }),
  episodes: syntheticEpisodes({ kind: 'regression', ways: 2, shots: 4, queryShots: 3, inputShape: [6, 6, 1] }),
});
