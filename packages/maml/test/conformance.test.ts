// The core conformance suites on the gradient solver and on core's backprop learner composed with
// it: shapes, determinism, no leaks, meta-gradients reaching every meta-parameter, finite
// differences (exact for second order; first order is an approximation by design), on every
// backend.
import { createConv4, createLearner, createLinearHead, createMlp } from '@metalearn/core';
import { describeLearnerConformance, describeSolverConformance, syntheticEpisodes } from '@metalearn/core/testing';
import { createGradientSolver } from '@metalearn/maml';

describeSolverConformance('gradient (MAML, second order, 2 steps)', {
  createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3 }),
  tasks: [{ kind: 'classification', ways: 3 }, { kind: 'regression', ways: 2 }],
});

describeSolverConformance('gradient (Meta-SGD + LSLR, ANIL pattern)', {
  createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3, metaSgd: true, perStepLrs: true, adapt: '^head/' }),
});

describeSolverConformance('gradient (MAML++ on Conv-4 with per-step batch norm, second order)', {
  createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3, perStepLrs: true, adapt: '^(?!backbone/norm)' }),
  createBackbone: () => createConv4({ inputShape: [6, 6, 1], filters: 3, normSteps: 3, activation: 'tanh' }),
});

describeSolverConformance('gradient (first-order MAML)', {
  createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3, order: 'first' }),
  gradient: 'approximate',
});

const backbone = (): ReturnType<typeof createMlp> => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 });
describeLearnerConformance('backprop learner + gradient solver (Meta-SGD, 1 step)', {
  createLearner: (seed) => createLearner({
    backbone: backbone(), head: createLinearHead({ init: 'glorotUniform' }),
    solver: createGradientSolver({ innerSteps: 1, innerLr: 0.3, metaSgd: true }),
    task: { kind: 'classification', ways: 3 }, seed, outerLr: 1, optimizer: 'sgd',
  }),
  episodes: syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] }),
  finiteDifference: { outerLr: 1 },
});

describeLearnerConformance('backprop learner + gradient solver (MAML++: LSLR, MSL, order annealing, cosine, Adam)', {
  createLearner: (seed) => createLearner({
    backbone: backbone(), head: createLinearHead({ init: 'glorotUniform' }),
    solver: createGradientSolver({ innerSteps: 2, innerLr: 0.3, perStepLrs: true, multiStepLoss: { annealSteps: 5 }, derivativeOrderAnnealing: { firstOrderUntil: 3 } }),
    task: { kind: 'regression', ways: 2 }, seed, outerLr: 1e-2, outerLrSchedule: 'cosine', totalSteps: 30, minLr: 1e-4,
  }),
  episodes: syntheticEpisodes({ kind: 'regression', ways: 2, shots: 3, queryShots: 3, inputShape: [4] }),
});
