// The core inner-solver conformance suite on the SVM solver (shapes, determinism, no leaks over
// 20 meta-steps, meta-gradient reach, finite differences), on every backend. The head's
// parameters are unused by design (the SVM replaces the head).
import { describeSolverConformance } from '@metalearn/core/testing';
import { createSvmSolver } from '@metalearn/metaoptnet';

describeSolverConformance('svm (3-way, defaults: C = 0.1, ε = 1)', {
  createSolver: () => createSvmSolver(),
  tasks: [{ kind: 'classification', ways: 3 }],
  unusedParams: /^theta\/head\//,
});

describeSolverConformance('svm (5-way 2-shot, C = 1, ε = 0.1)', {
  createSolver: () => createSvmSolver({ C: 1, ridge: 0.1, scaleInit: 2 }),
  tasks: [{ kind: 'classification', ways: 5 }],
  unusedParams: /^theta\/head\//,
  seed: 3,
});
