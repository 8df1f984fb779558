// The core conformance suites on CAVIA's context solver (shapes, determinism, no leaks over 20
// meta-steps, meta-gradient reaching every meta-parameter, finite differences of the second-order
// meta-gradient) with the context fed to an MLP's input and to a Conv-4 by FiLM, and on core's
// backprop learner composed with it (checkpoints; the applied SGD meta-gradient against finite
// differences), on every backend. First order is an approximation by design.
import { createConv4, createLearner, createLinearHead, createMlp } from '@metalearn/core';
import { describeLearnerConformance, describeSolverConformance, syntheticEpisodes } from '@metalearn/core/testing';
import { createContextSolver } from '@metalearn/cavia';

const mlp = (contextDim: number) => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5, contextDim });

describeSolverConformance('context (CAVIA, second order, 2 steps, context at the MLP input)', {
  createSolver: () => createContextSolver({ contextDim: 3, innerSteps: 2, innerLr: 0.5 }),
  createBackbone: () => mlp(3),
  tasks: [{ kind: 'classification', ways: 3 }, { kind: 'regression', ways: 2 }],
});

describeSolverConformance('context (CAVIA, second order, FiLM in block 2 of a Conv-4)', {
  createSolver: () => createContextSolver({ contextDim: 2, innerSteps: 2, innerLr: 0.5 }),
  createBackbone: () => createConv4({ inputShape: [6, 6, 1], filters: 3, activation: 'tanh', contextDim: 2, filmBlock: 2 }),
});

describeSolverConformance('context (CAVIA, first order)', {
  createSolver: () => createContextSolver({ contextDim: 3, innerSteps: 2, innerLr: 0.5, order: 'first' }),
  createBackbone: () => mlp(3),
  gradient: 'approximate',
});

describeLearnerConformance('backprop learner + context solver (CAVIA, 1 step, SGD outer)', {
  createLearner: (seed) => createLearner({
    backbone: mlp(2), head: createLinearHead({ init: 'glorotUniform' }),
    solver: createContextSolver({ contextDim: 2, innerSteps: 1, innerLr: 0.5 }),
    task: { kind: 'classification', ways: 3 }, seed, outerLr: 1, optimizer: 'sgd',
  }),
  episodes: syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] }),
  finiteDifference: { outerLr: 1 },
});
