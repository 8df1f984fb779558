/**
 * The primal and dual objectives of the Crammer–Singer SVM, as functions of the dual variables:
 * their difference (the duality gap) certifies a solution independently of the solver.
 */
import { MetaLearnError } from '@metalearn/core';
import { checkSvmDualProblem, regularisedGram, type SvmDualProblem } from './svm-dual.js';

/** Primal objective, dual objective and their gap at a dual point. */
export interface SvmObjectives {
  /** `P(W(α))`, the primal objective of the weights `w_k = Σ_i α_ik x̃_i`. */
  readonly primal: number;
  /** `D(α) = -½ Σ_k α_{:k}ᵀ K̃ α_{:k} + Σ_i α_{i,y_i}`. */
  readonly dual: number;
  /** `P - D >= 0` for a feasible `α`; zero exactly at the optimum (strong duality). */
  readonly gap: number;
}

/**
 * The Crammer–Singer primal and dual objectives at a dual point `α`.
 *
 * Maths, on the augmented features `x̃_i` whose Gram matrix is `K̃ = sym(K) + ε I`
 * (see {@link regularisedGram}), with `w_k = Σ_i α_ik x̃_i` and scores `s_jk = w_kᵀ x̃_j = (K̃ α)_jk`:
 * - primal `P = ½ Σ_k ||w_k||² + C Σ_j ξ_j`, `ξ_j = max_k (e_jk + s_jk - s_{j,y_j})`,
 *   `e_jk = 1 - δ(y_j = k)` (the smallest slack making `W` feasible; `>= 0`, as `k = y_j` gives 0);
 * - dual `D = -½ Σ_k ||w_k||² + Σ_j α_{j,y_j}` (the Lagrange dual function at `α`).
 * Weak duality gives `P(W) >= D(α)` for every feasible `α` and every `W`; at the optimum they are
 * equal, so a gap of ~1e-12 certifies a solution without trusting the QP solver.
 *
 * @param problem - the dual ({@link SvmDualProblem}).
 * @param alpha - `α: [N_s, W]`, row-major (feasible, for the gap to be meaningful).
 * @returns `primal`, `dual`, `gap`.
 * @throws MetaLearnError as {@link solveSvmDual}; `shapeMismatch` when `α` has the wrong length.
 * @see Crammer & Singer 2001, "On the algorithmic implementation of multiclass kernel-based vector
 *   machines", JMLR 2 (the primal and its dual).
 */
export function svmObjectives(problem: SvmDualProblem, alpha: ArrayLike<number>): SvmObjectives {
  const fn = 'svmObjectives';
  const n = checkSvmDualProblem(problem, fn);
  const w = problem.ways;
  if (alpha.length !== n * w) throw new MetaLearnError('shapeMismatch', `${fn}: alpha must have N_s W = ${n * w} entries, got ${alpha.length}`);
  const kt = regularisedGram(problem.gram, n, problem.ridge);
  const scores = new Float64Array(n * w);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < w; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += kt[j * n + i]! * alpha[i * w + k]!;
      scores[j * w + k] = s;
    }
  }
  let normSq = 0;
  let picked = 0;
  let slack = 0;
  for (let j = 0; j < n; j++) {
    const y = problem.labels[j]!;
    let xi = 0;
    for (let k = 0; k < w; k++) {
      normSq += alpha[j * w + k]! * scores[j * w + k]!;
      if (k !== y) xi = Math.max(xi, 1 + scores[j * w + k]! - scores[j * w + y]!);
    }
    slack += xi;
    picked += alpha[j * w + y]!;
  }
  const primal = 0.5 * normSq + problem.C * slack;
  const dual = -0.5 * normSq + picked;
  return { primal, dual, gap: primal - dual };
}
