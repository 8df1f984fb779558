// Core's task-batched conformance suite on the implicit solver, on every backend: adaptTasks's
// row t equals adapt on task t alone, and the vectorised meta-objective (sum, per-task losses and
// hits, meta-gradient) equals the per-task loop's within rtol 1e-5 of the gradient's scale
// (3-way classification and 2-output regression, tanh MLP 4-6, meta-batch 4).
// Exact HVPs with 3 inner steps, and central finite-difference HVPs with 5 inner steps (fdStep
// 0.1: the estimate is then far above float32 rounding, see task-batch.test.ts); cgTol 0 (every
// CG iteration runs in both paths).
import { describeTaskBatchConformance } from '@metalearn/core/testing';
import { createImplicitSolver } from '@metalearn/imaml';

describeTaskBatchConformance('implicit (exact HVP, 3 inner steps)', {
  createSolver: () => createImplicitSolver({ lambda: 2, innerSteps: 3, innerLr: 0.1, cgSteps: 5, cgTol: 0, hvp: 'exact' }),
});

describeTaskBatchConformance('implicit (finite-difference HVP, 5 inner steps, momentum)', {
  createSolver: () => createImplicitSolver({ lambda: 1, innerSteps: 5, innerLr: 0.1, innerOptimizer: 'momentum', cgSteps: 4, cgTol: 0, hvp: 'finiteDifference', fdStep: 0.1 }),
});
