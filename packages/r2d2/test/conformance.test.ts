// The core inner-solver conformance suite on the ridge solver (shapes, determinism, no leaks
// over 20 meta-steps, meta-gradient reach, finite differences), classification and regression,
// on every backend. The head's parameters are unused by design (the closed-form W replaces the
// head); in classification β is too (softmax cross-entropy is shift invariant).
import { describeSolverConformance } from '@metalearn/core/testing';
import { createRidgeSolver } from '@metalearn/r2d2';

describeSolverConformance('ridge (classification)', {
  createSolver: () => createRidgeSolver(),
  tasks: [{ kind: 'classification', ways: 3 }],
  unusedParams: /^theta\/head\/|^solver\/beta$/,
});

describeSolverConformance('ridge (regression, primal form)', {
  createSolver: () => createRidgeSolver({ form: 'primal' }),
  tasks: [{ kind: 'regression', ways: 2 }],
  shots: 8,
  unusedParams: /^theta\/head\//,
});
