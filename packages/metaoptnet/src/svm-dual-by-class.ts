/**
 * The Crammer–Singer SVM dual solved class by class: Newton's method on the multipliers `ν` of
 * the only constraints that couple the classes (`Σ_k α_ik = 0`), each step solving `W` small
 * bound-constrained QPs with quadprog. The same solution as the one big QP, at a fraction of
 * quadprog's `O((N_s W)³)` cost. {@link solveSvmDual}'s default method; exported for checks.
 */
import { choleskyHost, choleskySolveHost, spdInverseHost } from './host-spd.js';
import { solveQuadraticProgram } from './quadratic-program.js';

/** Backtracking halvings per Newton step before giving up (smallest step 2⁻¹⁰). */
const MAX_HALVINGS = 10;

/** What one evaluation of the dual function `g(ν)` gives. */
interface ClassSolutions {
  /** `α(ν): [N_s, W]`, row-major. */
  readonly alpha: Float64Array;
  /** Bound multipliers `λ(ν): [N_s, W]`. */
  readonly lambda: Float64Array;
  /** 1 where the bound is in the class QP's active set. */
  readonly active: Uint8Array;
  /** `g(ν)`. */
  readonly value: number;
  /** `r = ∇g(ν)`: the row sums `Σ_k α_ik(ν)`, `[N_s]`. */
  readonly rowSums: Float64Array;
  /** quadprog iterations, summed over the classes. */
  readonly iterations: number;
}

/**
 * `g(ν) = Σ_k min_{α_{:k} <= h_k} ½ α_{:k}ᵀ K̃ α_{:k} + (ν - δ_k)ᵀ α_{:k}` (`δ_k = [y_i = k]`,
 * `h_k = C δ_k`): `W` independent strictly convex QPs of `N_s` variables.
 */
function evaluate(kt: Float64Array, n: number, w: number, labels: ArrayLike<number>, C: number, nu: Float64Array): ClassSolutions {
  const alpha = new Float64Array(n * w);
  const lambda = new Float64Array(n * w);
  const active = new Uint8Array(n * w);
  const rowSums = new Float64Array(n);
  const constraints = new Float64Array(n * n);
  for (let i = 0; i < n; i++) constraints[i * n + i] = -1;
  let value = 0;
  let iterations = 0;
  for (let k = 0; k < w; k++) {
    const linear = new Float64Array(n);
    const bounds = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const own = labels[i] === k;
      linear[i] = nu[i]! - (own ? 1 : 0);
      bounds[i] = own ? -C : 0;
    }
    const s = solveQuadraticProgram({ hessian: kt, linear, constraints, bounds, equalities: 0 });
    value += s.objective;
    iterations += s.iterations;
    for (let i = 0; i < n; i++) {
      alpha[i * w + k] = s.z[i]!;
      lambda[i * w + k] = s.multipliers[i]!;
      rowSums[i] = rowSums[i]! + s.z[i]!;
    }
    for (const j of s.active) active[j * w + k] = 1;
  }
  return { alpha, lambda, active, value, rowSums, iterations };
}

/**
 * The generalised Hessian of `-g` at `ν`: `S = Σ_k scatter(K̃[F_k, F_k]⁻¹)` over the free
 * (inactive) entries `F_k` of each class (`∂r/∂ν = -S`, as `α_{F_k,k}` moves by
 * `-K̃[F_k, F_k]⁻¹ Δν_{F_k}`). An example with no free entry gets `1 / K̃_ii` on the diagonal
 * (as if its own-class entry were free), so that `S` stays positive definite.
 */
function generalisedHessian(kt: Float64Array, n: number, w: number, active: Uint8Array): Float64Array {
  const s = new Float64Array(n * n);
  const hasFree = new Uint8Array(n);
  for (let k = 0; k < w; k++) {
    const f: number[] = [];
    for (let i = 0; i < n; i++) if (active[i * w + k] === 0) f.push(i);
    const m = f.length;
    if (m === 0) continue;
    const p = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) p[a * m + b] = kt[f[a]! * n + f[b]!]!;
    const inv = spdInverseHost(choleskyHost(p, m, `solveSvmDual: K̃[F_${k}, F_${k}]`), m);
    for (let a = 0; a < m; a++) {
      hasFree[f[a]!] = 1;
      for (let b = 0; b < m; b++) s[f[a]! * n + f[b]!] = s[f[a]! * n + f[b]!]! + inv[a * m + b]!;
    }
  }
  for (let i = 0; i < n; i++) if (hasFree[i] === 0) s[i * n + i] = 1 / kt[i * n + i]!;
  return s;
}

/** The result of {@link solveSvmDualByClass}: the solution pieces and the work done. */
export interface ByClassResult {
  readonly alpha: Float64Array;
  readonly nu: Float64Array;
  readonly lambda: Float64Array;
  readonly active: Uint8Array;
  readonly iterations: number;
  readonly newtonSteps: number;
}

/**
 * Solves the Crammer–Singer dual by Newton's method on the equality multipliers `ν`.
 *
 * Maths. Dualising only the coupling constraints `Σ_k α_ik = 0` (multipliers `ν`) leaves, for
 * fixed `ν`, one strictly convex QP per class (`min ½ α_{:k}ᵀ K̃ α_{:k} + (ν - δ_k)ᵀ α_{:k}`,
 * `α_{:k} <= C δ_k`), solved by quadprog. Their total is the dual function `g(ν)`: concave,
 * continuously differentiable (strict convexity), piecewise quadratic, with gradient the row sums
 * `r_i = Σ_k α_ik(ν)` and generalised Hessian `-S` ({@link generalisedHessian}). Newton's step
 * `Δν = S⁻¹ r` with backtracking (accept `t` when `g(ν + t Δν) >= g(ν) + 10⁻⁴ t rᵀΔν` (Armijo) or
 * when `max |r|` halves) is finite on a piecewise quadratic once the active sets settle; at `r = 0` the class solutions with `ν` and
 * their bound multipliers satisfy every KKT condition of the full dual (stationarity and bounds
 * from each class QP, the equalities from `r = 0`) — the exact solution of the one big QP.
 *
 * @param kt - `K̃`, row-major float64 `[N_s, N_s]` (positive definite).
 * @param n - `N_s`.
 * @param w - `W`.
 * @param labels - `y: [N_s]`.
 * @param C - the SVM's `C > 0`.
 * Convergence in practice (D = 64 ReLU features, `N_s <= D`, any of `C ∈ {0.1, 10}`,
 * `ε ∈ {1e-3, 1}`): 1–4 steps for 5-way 1-shot, 5-way 5-shot and 20-way 1-shot, 5–12 for 5-way
 * 15-shot. It struggles when `K̃` is ill-conditioned (`N_s > D` with a tiny ridge `ε`): each
 * Newton step then holds only in a tiny neighbourhood and backtracking makes slow progress, so it
 * gives up early (the caller solves the one big QP instead).
 *
 * @param maxSteps - Newton steps before giving up (default 30; each backtracks at most 10 times).
 * @returns the solution, or `undefined` when `max_i |r_i| > 1e-12 (1 + C)` after `maxSteps`, or
 *   when no step length down to 2⁻¹⁰ is acceptable (the caller then solves the one big QP).
 */
export function solveSvmDualByClass(kt: Float64Array, n: number, w: number, labels: ArrayLike<number>, C: number, maxSteps = 30): ByClassResult | undefined {
  const tolerance = 1e-12 * (1 + C);
  let nu = new Float64Array(n);
  let cur = evaluate(kt, n, w, labels, C, nu);
  let iterations = cur.iterations;
  for (let step = 0; step <= maxSteps; step++) {
    let worst = 0;
    for (const r of cur.rowSums) worst = Math.max(worst, Math.abs(r));
    if (worst <= tolerance) return { alpha: cur.alpha, nu, lambda: cur.lambda, active: cur.active, iterations, newtonSteps: step };
    if (step === maxSteps) break;
    const s = generalisedHessian(kt, n, w, cur.active);
    const d = Float64Array.from(cur.rowSums);
    choleskySolveHost(choleskyHost(s, n, 'solveSvmDual: the generalised Hessian S'), n, d);
    let slope = 0;
    for (let i = 0; i < n; i++) slope += cur.rowSums[i]! * d[i]!;
    let t = 1;
    let next: ClassSolutions | undefined;
    let trial = nu;
    for (let halvings = 0; halvings <= MAX_HALVINGS; halvings++, t /= 2) {
      trial = Float64Array.from(nu, (v, i) => v + t * d[i]!);
      next = evaluate(kt, n, w, labels, C, trial);
      iterations += next.iterations;
      // Armijo on g, or (where g's rounding, ~1e-16 |g|, swamps a tiny slope) a halved residual.
      let nextWorst = 0;
      for (const r of next.rowSums) nextWorst = Math.max(nextWorst, Math.abs(r));
      if (next.value >= cur.value + 1e-4 * t * slope || nextWorst <= 0.5 * worst) break;
      next = undefined;
    }
    if (next === undefined) return undefined; // no acceptable step: give up (the caller solves the big QP)
    nu = trial;
    cur = next;
  }
  return undefined;
}
