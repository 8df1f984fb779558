/**
 * The KKT residuals of the Crammer–Singer SVM dual: how far a candidate `(α, ν, λ)` is from
 * optimal. All four are zero exactly at the solution (the problem is strictly convex, so the KKT
 * point is unique in `α`).
 */
import { MetaLearnError } from '@metalearn/core';
import { checkSvmDualProblem, regularisedGram, type SvmDualProblem } from './svm-dual.js';

/** A candidate point of the dual with its multipliers (row-major float64, as {@link SvmDualSolution}). */
export interface SvmDualPoint {
  /** `α: [N_s, W]`. */
  readonly alpha: ArrayLike<number>;
  /** `ν: [N_s]`, multipliers of `Σ_k α_ik = 0`. */
  readonly nu: ArrayLike<number>;
  /** `λ: [N_s, W]`, multipliers of `α_ik <= C δ(y_i = k)`. */
  readonly lambda: ArrayLike<number>;
}

/**
 * The largest violation of each KKT condition (absolute, in the units of the dual objective's
 * gradient, i.e. of `K̃ α` and of `δ`; `α` and `C` share units).
 * - `stationarity`: `max_ik |(K̃ α)_ik - δ(y_i = k) + ν_i + λ_ik|`;
 * - `primalFeasibility`: `max(max_ik (α_ik - C δ(y_i = k))⁺, max_i |Σ_k α_ik|)`;
 * - `dualFeasibility`: `max_ik (-λ_ik)⁺`;
 * - `complementarySlackness`: `max_ik |λ_ik (α_ik - C δ(y_i = k))|`;
 * - `max`: the largest of the four.
 */
export interface SvmKktResiduals {
  readonly stationarity: number;
  readonly primalFeasibility: number;
  readonly dualFeasibility: number;
  readonly complementarySlackness: number;
  readonly max: number;
}

/**
 * The KKT residuals of a candidate point of the Crammer–Singer dual ({@link solveSvmDual}).
 *
 * Maths: with `f(α) = ½ Σ_k α_{:k}ᵀ K̃ α_{:k} - Σ_i α_{i,y_i}` and the Lagrangian
 * `L = f(α) + Σ_i ν_i Σ_k α_ik + Σ_ik λ_ik (α_ik - C δ(y_i = k))`, the point is optimal iff
 * - stationarity: `∂L/∂α_ik = (K̃ α)_ik - δ(y_i = k) + ν_i + λ_ik = 0`;
 * - primal feasibility: `α_ik <= C δ(y_i = k)` and `Σ_k α_ik = 0`;
 * - dual feasibility: `λ_ik >= 0`;
 * - complementary slackness: `λ_ik (α_ik - C δ(y_i = k)) = 0`.
 *
 * @param problem - the dual ({@link SvmDualProblem}; `K̃ = sym(K) + ε I`).
 * @param point - `α`, `ν`, `λ` (e.g. a {@link SvmDualSolution}).
 * @returns the residuals ({@link SvmKktResiduals}).
 * @throws MetaLearnError as {@link solveSvmDual} on a malformed problem; `shapeMismatch` when
 *   `α`, `ν` or `λ` has the wrong length.
 * @example
 * const r = svmKktResiduals(problem, solveSvmDual(problem)); // r.max ~ 1e-15
 * @see Boyd & Vandenberghe 2004, "Convex Optimization", sec. 5.5.3 (KKT conditions).
 */
export function svmKktResiduals(problem: SvmDualProblem, point: SvmDualPoint): SvmKktResiduals {
  const fn = 'svmKktResiduals';
  const n = checkSvmDualProblem(problem, fn);
  const w = problem.ways;
  const { alpha, nu, lambda } = point;
  for (const [name, xs, len] of [['alpha', alpha, n * w], ['nu', nu, n], ['lambda', lambda, n * w]] as const) {
    if (xs.length !== len) throw new MetaLearnError('shapeMismatch', `${fn}: point.${name} must have ${len} entries, got ${xs.length}`);
  }
  const kt = regularisedGram(problem.gram, n, problem.ridge);
  let stationarity = 0;
  let primalFeasibility = 0;
  let dualFeasibility = 0;
  let complementarySlackness = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let k = 0; k < w; k++) {
      const v = i * w + k;
      const delta = problem.labels[i] === k ? 1 : 0;
      let ka = 0;
      for (let j = 0; j < n; j++) ka += kt[i * n + j]! * alpha[j * w + k]!;
      stationarity = Math.max(stationarity, Math.abs(ka - delta + nu[i]! + lambda[v]!));
      const slack = alpha[v]! - problem.C * delta;
      primalFeasibility = Math.max(primalFeasibility, slack);
      dualFeasibility = Math.max(dualFeasibility, -lambda[v]!);
      complementarySlackness = Math.max(complementarySlackness, Math.abs(lambda[v]! * slack));
      rowSum += alpha[v]!;
    }
    primalFeasibility = Math.max(primalFeasibility, Math.abs(rowSum));
  }
  const max = Math.max(stationarity, primalFeasibility, dualFeasibility, complementarySlackness);
  return { stationarity, primalFeasibility, dualFeasibility, complementarySlackness, max };
}
