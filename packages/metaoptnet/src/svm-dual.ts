/**
 * The dual of the Crammer–Singer multi-class linear SVM, the head of MetaOptNet, built from a
 * task's support Gram matrix and solved on the host in float64 by quadprog.
 */
import { MetaLearnError } from '@metalearn/core';
import { solveQuadraticProgram } from './quadratic-program.js';
import { solveSvmDualByClass } from './svm-dual-by-class.js';

/**
 * One support set's SVM dual.
 * - `gram`: `K = X Xᵀ`, row-major `[N_s, N_s]` (float32 or float64 values; only the symmetric
 *   part `(K + Kᵀ)/2` is read);
 * - `labels`: `y: [N_s]`, integers in `[0, ways)`;
 * - `ways`: number of classes `W >= 2`;
 * - `C`: the SVM's regularisation (cost of a margin violation), `C > 0`;
 * - `ridge`: `ε > 0`, added to the Gram matrix's diagonal (see {@link regularisedGram}).
 */
export interface SvmDualProblem {
  readonly gram: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  readonly ways: number;
  readonly C: number;
  readonly ridge: number;
}

/**
 * The solution of an {@link SvmDualProblem} with its KKT multipliers (all row-major float64).
 * - `alpha`: `α: [N_s, W]`;
 * - `nu`: `ν: [N_s]`, multipliers of the equalities `Σ_k α_ik = 0` (any sign);
 * - `lambda`: `λ: [N_s, W] >= 0`, multipliers of the bounds `α_ik <= C δ(y_i = k)`;
 * - `active`: `[N_s, W]`, 1 where the bound is in the solver's final active set (held at
 *   equality), else 0 — the set the KKT backward keeps fixed;
 * - `iterations`: constraints quadprog added (its iteration count), over every QP solved;
 * - `method`: how it was solved (see {@link SvmDualSolveOptions}).
 * Stationarity reads `(K̃ α)_ik - δ(y_i = k) + ν_i + λ_ik = 0` (see {@link svmKktResiduals}).
 */
export interface SvmDualSolution {
  readonly alpha: Float64Array;
  readonly nu: Float64Array;
  readonly lambda: Float64Array;
  readonly active: Uint8Array;
  readonly iterations: number;
  readonly method: 'byClass' | 'full';
}

/**
 * How {@link solveSvmDual} uses quadprog. Both give the exact solution of the same dual (to
 * rounding; the KKT conditions are checked in the tests):
 * - `'byClass'` (default): Newton's method on the multipliers `ν` of `Σ_k α_ik = 0`, each step
 *   solving one bound-constrained QP of `N_s` variables per class with quadprog (see
 *   {@link solveSvmDualByClass}); about `W (N_s)³` work per step instead of `(N_s W)³`. If it
 *   has not converged (`max_i |Σ_k α_ik| <= 1e-12 (1 + C)`) within its budget (ill-conditioned
 *   `K̃`: `N_s > D` with a tiny ridge), the one big QP is solved instead (`method: 'full'` in
 *   the result).
 * - `'full'`: one QP in all `N_s W` entries of `α` (the official code's formulation).
 */
export interface SvmDualSolveOptions {
  readonly method?: 'byClass' | 'full';
}

/**
 * Validates an {@link SvmDualProblem} and returns `N_s`.
 * @param problem - the problem.
 * @param fn - the public function asking, for error messages.
 * @throws MetaLearnError `invalidArgument` (labels, `ways`, `C`, `ridge`), `shapeMismatch` (the
 *   size of `gram`), `nonFinite` (an entry of `gram`).
 */
export function checkSvmDualProblem(problem: SvmDualProblem, fn: string): number {
  const { gram, labels, ways, C, ridge } = problem;
  const n = labels.length;
  if (n < 1) throw new MetaLearnError('invalidArgument', `${fn}: problem.labels must hold N_s >= 1 labels, got 0`);
  if (!Number.isInteger(ways) || ways < 2) throw new MetaLearnError('invalidArgument', `${fn}: problem.ways must be an integer >= 2, got ${ways}`);
  if (gram.length !== n * n) throw new MetaLearnError('shapeMismatch', `${fn}: problem.gram must be [${n}, ${n}] (${n * n} entries, N_s = labels.length), got ${gram.length} entries`);
  if (!(C > 0) || !Number.isFinite(C)) throw new MetaLearnError('invalidArgument', `${fn}: problem.C must be a finite number > 0, got ${C}`);
  if (!(ridge > 0) || !Number.isFinite(ridge)) throw new MetaLearnError('invalidArgument', `${fn}: problem.ridge must be a finite number > 0 (it makes the QP strictly convex), got ${ridge}`);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= ways) throw new MetaLearnError('invalidArgument', `${fn}: problem.labels[${i}] must be a class in [0, ${ways}), got ${c}`);
  }
  for (let i = 0; i < gram.length; i++) {
    if (!Number.isFinite(gram[i]!)) throw new MetaLearnError('nonFinite', `${fn}: problem.gram[${Math.floor(i / n)}][${i % n}] must be finite, got ${gram[i]}`);
  }
  return n;
}

/**
 * The regularised Gram matrix `K̃ = (K + Kᵀ)/2 + ε I` in float64, row-major `[N_s, N_s]`.
 *
 * Why `ε > 0`: `K = X Xᵀ` is only positive semi-definite — singular whenever two support
 * embeddings coincide, all are zero, or `N_s > D` — and quadprog needs a strictly convex QP.
 * `K̃` is positive definite with smallest eigenvalue `>= ε`. It is exactly the Gram matrix of the
 * augmented features `x̃_i = [x_i, √ε e_i]` (a private coordinate per support example; query
 * examples get `[x_q, 0]`, so `<x̃_i, x̃_q> = <x_i, x_q>`): the regularised problem is still a
 * Crammer–Singer SVM, on slightly richer support features. The official MetaOptNet code adds
 * `1.0 · I` to its QP matrix for the same reason ("helps avoid PSD error from the QP solver").
 *
 * @param gram - `K`, row-major `[n, n]`.
 * @param n - `N_s`.
 * @param ridge - `ε`.
 * @returns `K̃`, float64.
 */
export function regularisedGram(gram: ArrayLike<number>, n: number, ridge: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) k[i * n + j] = 0.5 * (gram[i * n + j]! + gram[j * n + i]!) + (i === j ? ridge : 0);
  }
  return k;
}

/**
 * Solves the Crammer–Singer SVM dual of one support set with quadprog (float64, exact up to
 * rounding). No gradient here: {@link svmDual} wraps it with the KKT backward.
 *
 * The primal (Crammer & Singer 2001; features `x_i`, labels `y_i`, `e_ik = 1 - δ(y_i = k)`):
 *
 *   `min_{W, ξ} ½ Σ_k ||w_k||² + C Σ_i ξ_i  s.t.  w_{y_i}ᵀ x_i - w_kᵀ x_i >= e_ik - ξ_i  ∀ i, k`.
 *
 * With multipliers `η_ik >= 0`, `∂/∂ξ_i = 0` gives `Σ_k η_ik = C` and `∂/∂w_k = 0` gives
 * `w_k = Σ_i α_ik x_i` with `α_ik = C δ(y_i = k) - η_ik`. In `α` the dual becomes
 *
 *   `min_α ½ Σ_k α_{:k}ᵀ K α_{:k} - Σ_i α_{i,y_i}  s.t.  α_ik <= C δ(y_i = k),  Σ_k α_ik = 0`,
 *
 * (`Σ_ik α_ik e_ik = -Σ_i α_{i,y_i}` under the equality), with `K = X Xᵀ` replaced by
 * {@link regularisedGram} `K̃`. As one QP in `z = vec(α)` (index `i W + k`): Hessian `K̃ ⊗ I_W`,
 * linear term `-onehot(y)`, `N_s` equalities and `N_s W` bounds (the form of the official code,
 * `MetaOptNetHead_SVM_CS`; `method: 'full'`), or by default class by class (one QP of `N_s`
 * variables per class per Newton step on the equalities' multipliers; the same solution). The
 * head's scores are `s_qk = Σ_i α_ik <x_i, x_q> = w_kᵀ x_q`.
 *
 * Cost: quadprog is dense, `O(n³)` in its `n` variables, hence the default class-by-class method
 * ({@link SvmDualSolveOptions}). Median CPU time per episode measured by the package's
 * `scripts/qp-timing.ts` (D = 64 ReLU features, `C = 0.1`, `ε = 1`, this project's shared 2-core
 * machine): 5-way 1-shot 0.6 ms (`'full'`: 1.2 ms), 5-way 5-shot 7.5 ms (39 ms), 20-way 1-shot
 * 14 ms (1.15 s), 5-way 15-shot 0.34 s, 20-way 5-shot 2.6 s.
 *
 * @param problem - see {@link SvmDualProblem}.
 * @param options - `method` (default `'byClass'`; see {@link SvmDualSolveOptions}).
 * @returns `α`, its multipliers and active set ({@link SvmDualSolution}).
 * @throws MetaLearnError `invalidArgument` / `shapeMismatch` / `nonFinite` on a malformed problem;
 *   `notPositiveDefinite` / `notConverged` when quadprog reports `K̃ ⊗ I` not positive definite or
 *   the constraints inconsistent (neither happens for a valid problem: `α = 0` is feasible).
 * @example
 * // Two 1-D points ±1 of classes 0, 1: α = [[t, -t], [-t, t]], t = min(C, 1/(4 + 2ε)).
 * solveSvmDual({ gram: [1, -1, -1, 1], labels: [0, 1], ways: 2, C: 10, ridge: 1e-3 }).alpha;
 * @see Crammer & Singer 2001, "On the algorithmic implementation of multiclass kernel-based vector
 *   machines", JMLR 2 (the multiclass SVM and its dual); Lee, Maji, Ravichandran & Soatto 2019,
 *   "Meta-Learning with Differentiable Convex Optimization", CVPR, sec. 3.3 (the SVM base learner
 *   and its dual).
 */
export function solveSvmDual(problem: SvmDualProblem, options: SvmDualSolveOptions = {}): SvmDualSolution {
  const fn = 'solveSvmDual';
  const n = checkSvmDualProblem(problem, fn);
  const method = options.method ?? 'byClass';
  if (method !== 'byClass' && method !== 'full') throw new MetaLearnError('invalidArgument', `${fn}: options.method must be 'byClass' or 'full', got '${String(method)}'`);
  const { labels, ways: w, C } = problem;
  const kt = regularisedGram(problem.gram, n, problem.ridge);
  if (method === 'byClass') {
    const r = solveSvmDualByClass(kt, n, w, labels, C);
    if (r !== undefined) return { alpha: r.alpha, nu: r.nu, lambda: r.lambda, active: r.active, iterations: r.iterations, method: 'byClass' };
  }
  const nv = n * w;
  const hessian = new Float64Array(nv * nv);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const kij = kt[i * n + j]!;
      for (let k = 0; k < w; k++) hessian[(i * w + k) * nv + j * w + k] = kij;
    }
  }
  const linear = new Float64Array(nv);
  for (let i = 0; i < n; i++) linear[i * w + labels[i]!] = -1;
  // Rows 0..n-1: Σ_k α_ik = 0. Rows n + v: -α_v >= -C δ(y_i = k).
  const m = n + nv;
  const constraints = new Float64Array(m * nv);
  const bounds = new Float64Array(m);
  for (let v = 0; v < nv; v++) {
    constraints[Math.floor(v / w) * nv + v] = 1;
    constraints[(n + v) * nv + v] = -1;
    bounds[n + v] = linear[v] === -1 ? -C : 0;
  }
  const s = solveQuadraticProgram({ hessian, linear, constraints, bounds, equalities: n });
  const nu = new Float64Array(n);
  for (let i = 0; i < n; i++) nu[i] = -s.multipliers[i]! + 0;
  const lambda = s.multipliers.slice(n);
  const active = new Uint8Array(nv);
  for (const j of s.active) if (j >= n) active[j - n] = 1;
  return { alpha: s.z, nu, lambda, active, iterations: s.iterations, method: 'full' };
}
