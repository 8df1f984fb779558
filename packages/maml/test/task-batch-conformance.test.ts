// Core's task-batched solver conformance suite on the gradient solver: adaptTasks equals adapt task
// by task, and the vectorised meta-objective equals the per-task loop (value, per-task losses and
// hits, meta-gradient of every meta-parameter; 1e-5 of the scale), for MAML, Meta-SGD + LSLR with
// an ANIL pattern, first order, and MAML++ (MSL, order annealing) on either side of its switch.
import { describeTaskBatchConformance } from '@metalearn/core/testing';
import { createGradientSolver } from '@metalearn/maml';

describeTaskBatchConformance('gradient (MAML, second order, 2 steps)', {
  createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3 }),
});

describeTaskBatchConformance('gradient (Meta-SGD + LSLR, ANIL pattern)', {
  createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3, metaSgd: true, perStepLrs: true, adapt: '^head/' }),
  tasks: [{ kind: 'classification', ways: 3 }],
});

describeTaskBatchConformance('gradient (first-order MAML, 3 steps)', {
  createSolver: () => createGradientSolver({ innerSteps: 3, innerLr: 0.3, order: 'first' }),
  tasks: [{ kind: 'regression', ways: 2 }],
});

for (const metaStep of [1, 4]) {
  describeTaskBatchConformance(`gradient (MAML++: MSL, order annealing until 3; meta-step ${metaStep})`, {
    createSolver: () => createGradientSolver({ innerSteps: 2, innerLr: 0.3, perStepLrs: true, multiStepLoss: { annealSteps: 5 }, derivativeOrderAnnealing: { firstOrderUntil: 3 } }),
    tasks: [{ kind: 'classification', ways: 3 }],
    metaStep,
  });
}
