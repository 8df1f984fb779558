/**
 * The backward pass of the SVM dual through its KKT conditions (OptNet's implicit
 * differentiation, specialised to the Crammer–Singer dual): given `∂L/∂α`, the gradient
 * `∂L/∂K` of the Gram matrix the dual was solved from. Pure float64 host maths.
 */
import { MetaLearnError } from '@metalearn/core';
import { choleskyHost, choleskySolveHost, spdInverseHost } from './host-spd.js';
import { checkSvmDualProblem, regularisedGram, type SvmDualProblem, type SvmDualSolution } from './svm-dual.js';

/**
 * The adjoint `d_α` of the dual solution (OptNet's `d_z`), row-major `[N_s, W]` float64.
 *
 * Maths. Write the dual as `min_z ½ zᵀ Q z + qᵀ z` s.t. `E z = 0`, `z <= h`, with `z = vec(α)`,
 * `Q = K̃ ⊗ I_W` (inequality matrix `G = I`). OptNet (Amos & Kolter 2017, eq. 7) solves, at the
 * solution `(z, λ, ν)`,
 *
 *   `[Q, D(λ), Eᵀ; I, D(z - h), 0; E, 0, 0] [d_z; d_λ; d_ν] = -[∂L/∂z; 0; 0]`.
 *
 * For an inactive bound (`λ_v = 0`, `z_v < h_v`) `d_λv` drops out of the first block row (its own
 * row only determines `d_λv`); for an active one (`z_v = h_v`) the second block row forces
 * `d_zv = 0` and its first-block row only determines `λ_v d_λv`. So with `F` the free (inactive)
 * entries, the system reduces to the equality-constrained one
 *
 *   `Q_FF d_F + E_Fᵀ d_ν = -g_F`,  `E_F d_F = 0`,  `d_z = 0` off `F`.
 *
 * `Q` is block diagonal over classes (`Q_{(i,k),(j,l)} = K̃_ij δ_kl`), so `Q_FF` splits into
 * `P_k = K̃[F_k, F_k]` with `F_k = {i : (i, k) free}`, each positive definite (a principal
 * submatrix of `K̃`). Eliminating `d_F = -Q_FF⁻¹ (g_F + E_Fᵀ d_ν)` leaves the `N_s × N_s` Schur
 * complement `S d_ν = -E_F Q_FF⁻¹ g_F` with `S = E_F Q_FF⁻¹ E_Fᵀ = Σ_k scatter(P_k⁻¹)`, positive
 * definite on the examples that have a free entry (every example does at a feasible point:
 * `Σ_k α_ik = 0` cannot hold with every bound active, as `C > 0`; an example without one would
 * get `d_ν_i = 0`). Cost `O(W N_s³)`, not `O((N_s W)³)`.
 *
 * Which bounds are active is the solver's final active set (`solution.active`). At a degenerate
 * point (a bound held with `λ_v = 0`) the solution map has a kink; the result is then the
 * derivative of the branch that keeps that bound fixed (one of the one-sided derivatives).
 *
 * @param problem - the dual that was solved.
 * @param solution - its `alpha` and `active` set (from {@link solveSvmDual}).
 * @param gradAlpha - `g = ∂L/∂α: [N_s, W]`, row-major.
 * @returns `d_α: [N_s, W]` (zero on active bounds, rows summing to zero).
 * @throws MetaLearnError as {@link solveSvmDual} on a malformed problem; `shapeMismatch` when
 *   `solution.alpha`, `solution.active` or `gradAlpha` has the wrong length; `nonFinite` when
 *   `gradAlpha` holds NaN or ±Inf.
 * @see Amos & Kolter 2017, "OptNet: Differentiable Optimization as a Layer in Neural Networks",
 *   ICML, sec. 3, eq. (6)–(8).
 */
export function svmDualAdjoint(problem: SvmDualProblem, solution: Pick<SvmDualSolution, 'alpha' | 'active'>, gradAlpha: ArrayLike<number>): Float64Array {
  const fn = 'svmDualAdjoint';
  const n = checkSvmDualProblem(problem, fn);
  const w = problem.ways;
  for (const [name, xs] of [['solution.alpha', solution.alpha], ['solution.active', solution.active], ['gradAlpha', gradAlpha]] as const) {
    if (xs.length !== n * w) throw new MetaLearnError('shapeMismatch', `${fn}: ${name} must have N_s W = ${n * w} entries, got ${xs.length}`);
  }
  for (let v = 0; v < n * w; v++) {
    if (!Number.isFinite(gradAlpha[v]!)) throw new MetaLearnError('nonFinite', `${fn}: gradAlpha[${Math.floor(v / w)}][${v % w}] must be finite, got ${gradAlpha[v]}`);
  }
  const kt = regularisedGram(problem.gram, n, problem.ridge);
  // Per class: free examples, P_k⁻¹, and a_k = P_k⁻¹ g_{F_k, k}.
  const free: number[][] = [];
  const inverses: Float64Array[] = [];
  const aks: Float64Array[] = [];
  const schur = new Float64Array(n * n);
  const rhs = new Float64Array(n);
  const hasFree = new Uint8Array(n);
  for (let k = 0; k < w; k++) {
    const f: number[] = [];
    for (let i = 0; i < n; i++) if (solution.active[i * w + k] === 0) f.push(i);
    const m = f.length;
    const p = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) p[a * m + b] = kt[f[a]! * n + f[b]!]!;
    const inv = m > 0 ? spdInverseHost(choleskyHost(p, m, `${fn}: K̃[F_${k}, F_${k}]`), m) : new Float64Array(0);
    const ak = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      let s = 0;
      for (let b = 0; b < m; b++) s += inv[a * m + b]! * gradAlpha[f[b]! * w + k]!;
      ak[a] = s;
      rhs[f[a]!] = rhs[f[a]!]! - s;
      hasFree[f[a]!] = 1;
      for (let b = 0; b < m; b++) schur[f[a]! * n + f[b]!] = schur[f[a]! * n + f[b]!]! + inv[a * m + b]!;
    }
    free.push(f);
    inverses.push(inv);
    aks.push(ak);
  }
  // Solve S d_ν = rhs on the examples with a free entry.
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (hasFree[i] === 1) rows.push(i);
  const r = rows.length;
  const sr = new Float64Array(r * r);
  const br = new Float64Array(r);
  for (let a = 0; a < r; a++) {
    br[a] = rhs[rows[a]!]!;
    for (let b = 0; b < r; b++) sr[a * r + b] = schur[rows[a]! * n + rows[b]!]!;
  }
  if (r > 0) choleskySolveHost(choleskyHost(sr, r, `${fn}: the Schur complement E_F Q_FF⁻¹ E_Fᵀ`), r, br);
  const dNu = new Float64Array(n);
  for (let a = 0; a < r; a++) dNu[rows[a]!] = br[a]!;
  // d_F = -(a_k + P_k⁻¹ d_ν[F_k]) per class; zero on active bounds.
  const d = new Float64Array(n * w);
  for (let k = 0; k < w; k++) {
    const f = free[k]!;
    const inv = inverses[k]!;
    const m = f.length;
    for (let a = 0; a < m; a++) {
      let s = aks[k]![a]!;
      for (let b = 0; b < m; b++) s += inv[a * m + b]! * dNu[f[b]!]!;
      d[f[a]! * w + k] = -s;
    }
  }
  return d;
}

/**
 * `∂L/∂K` from `∂L/∂α` through the KKT conditions of the SVM dual.
 *
 * Maths: with `d_α` from {@link svmDualAdjoint}, OptNet's eq. (8) gives
 * `∂L/∂Q = ½ (d_z zᵀ + z d_zᵀ)`; as `Q = K̃ ⊗ I_W` and `K̃ = sym(K) + ε I`,
 *
 *   `∂L/∂K = ½ (d_α αᵀ + α d_αᵀ)`  (`[N_s, N_s]`, symmetric),
 *
 * i.e. `∂L/∂K_ij = ½ Σ_k (d_ik α_jk + α_ik d_jk)`. The linear term, the constraints and their
 * right-hand sides do not depend on `K`, so this is the whole gradient. Chained through
 * `K = X Xᵀ` (a differentiable tf op) it gives `∂L/∂X = 2 (∂L/∂K) X`.
 *
 * @param problem - the dual that was solved.
 * @param solution - its `alpha` and `active` set.
 * @param gradAlpha - `∂L/∂α: [N_s, W]`, row-major.
 * @returns `∂L/∂K: [N_s, N_s]`, row-major float64.
 * @throws MetaLearnError as {@link svmDualAdjoint}.
 * @example const gK = svmDualBackward(problem, solveSvmDual(problem), gAlpha);
 * @see Amos & Kolter 2017, "OptNet", sec. 3, eq. (8); Lee et al. 2019, "Meta-Learning with
 *   Differentiable Convex Optimization", sec. 3.3 (implicit differentiation of the SVM).
 */
export function svmDualBackward(problem: SvmDualProblem, solution: Pick<SvmDualSolution, 'alpha' | 'active'>, gradAlpha: ArrayLike<number>): Float64Array {
  const d = svmDualAdjoint(problem, solution, gradAlpha);
  const n = problem.labels.length;
  const w = problem.ways;
  const alpha = solution.alpha;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < w; k++) s += d[i * w + k]! * alpha[j * w + k]! + alpha[i * w + k]! * d[j * w + k]!;
      g[i * n + j] = 0.5 * s;
      g[j * n + i] = 0.5 * s;
    }
  }
  return g;
}
