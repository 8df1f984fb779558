// Core's inner-solver conformance suite on the implicit solver, on every backend.
// 1. Converged: 50 inner SGD steps (lr 0.2, λ = 2: the proximal objective contracts by at most
//    1 - 0.2·(2 - |min eig H|) per step, so phi* is at its optimum to float32 precision) and CG to
//    convergence with exact Hessian-vector products. There the implicit meta-gradient IS the
//    derivative of the computed meta-loss, so the finite-difference property runs (default
//    tolerances: h 1e-2, rtol 1e-2, atol 1e-3), classification and regression.
// 2. Defaults (5 inner steps, 5 CG steps) with finite-difference Hessian-vector products: the
//    implicit gradient is that of the ideal meta-objective at an inexact inner solution, through a
//    truncated CG and approximate HVPs — not the derivative of the 5-step loop — so it declares
//    `gradient: 'approximate'` (the finite-difference property is skipped; every other property runs).
import { describeSolverConformance } from '@metalearn/core/testing';
import { createImplicitSolver } from '@metalearn/imaml';

describeSolverConformance('implicit (converged inner loop, exact HVP)', {
  createSolver: () => createImplicitSolver({ lambda: 2, innerSteps: 50, innerLr: 0.2, cgSteps: 30, cgTol: 1e-7, hvp: 'exact' }),
  tasks: [{ kind: 'classification', ways: 3 }, { kind: 'regression', ways: 2 }],
});

describeSolverConformance('implicit (defaults, finite-difference HVP)', {
  createSolver: () => createImplicitSolver({ hvp: 'finiteDifference' }),
  gradient: 'approximate',
});
