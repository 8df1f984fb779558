/**
 * A strictly convex quadratic program solved on the host in float64 by `quadprog` (the dual
 * active-set method of Goldfarb & Idnani), behind a 0-based, typed interface whose failures are
 * MetaLearnErrors. No gradient here: differentiation through a QP solution is the caller's
 * business (see `kkt-backward.ts` for the SVM head).
 */
import quadprog from 'quadprog';
import { MetaLearnError } from '@metalearn/core';
import { choleskyHost, choleskySolveHost } from './host-spd.js';

/**
 * The problem `min_z ½ zᵀ Q z + cᵀ z` subject to `a_jᵀ z = b_j` for `j < equalities` and
 * `a_jᵀ z >= b_j` for the other rows `j`. Arrays are row-major float64 (or any numbers).
 * - `hessian`: `Q: [n, n]`, symmetric positive definite (strictly convex problem);
 * - `linear`: `c: [n]`;
 * - `constraints`: `A: [m, n]`, one constraint per row;
 * - `bounds`: `b: [m]`;
 * - `equalities`: how many leading rows are equalities (`0 <= equalities <= m`).
 */
export interface QuadraticProgram {
  readonly hessian: ArrayLike<number>;
  readonly linear: ArrayLike<number>;
  readonly constraints: ArrayLike<number>;
  readonly bounds: ArrayLike<number>;
  readonly equalities: number;
}

/**
 * The solution of a {@link QuadraticProgram}.
 * - `z`: the minimiser `[n]`;
 * - `multipliers`: `μ: [m]`, the Lagrange multipliers in the convention `Q z + c = Σ_j μ_j a_j`
 *   (`μ_j >= 0` for inequalities, any sign for equalities, 0 for inactive rows);
 * - `active`: 0-based indices of the rows in the solver's final active set, ascending: the
 *   inequalities it holds at equality, and the equalities it had to add (an equality already
 *   satisfied by the unconstrained minimiser is never added; its multiplier is 0);
 * - `objective`: `½ zᵀ Q z + cᵀ z`;
 * - `iterations`: constraints added (quadprog's first iteration count).
 */
export interface QuadraticProgramSolution {
  readonly z: Float64Array;
  readonly multipliers: Float64Array;
  readonly active: Int32Array;
  readonly objective: number;
  readonly iterations: number;
}

/**
 * Solves a strictly convex QP with quadprog (Goldfarb–Idnani dual active-set method, float64).
 *
 * Maths: quadprog minimises `-dᵀ z + ½ zᵀ D z` s.t. `Aᵀ z >= b0`, so it is called with `D = Q`,
 * `d = -c` and `A` transposed (1-based). The method is finite and exact up to rounding: it adds
 * violated constraints one at a time, keeping the dual feasible, so at return the KKT conditions
 * hold to ~1e-12 relative. The inequality multipliers are quadprog's; the equality multipliers
 * are recomputed by least squares from stationarity (quadprog may negate an equality row in
 * place, even while it is active, which leaves the sign of its own value ambiguous), so
 * `multipliers` always refer to the rows as given.
 *
 * @param problem - see {@link QuadraticProgram}.
 * @returns see {@link QuadraticProgramSolution}.
 * @throws MetaLearnError `shapeMismatch` when the array lengths disagree (`Q: n²`, `c: n`,
 *   `A: m n`, `b: m`) or `equalities` is not in `[0, m]`; `nonFinite` when an entry is NaN or ±Inf;
 *   `invalidArgument` when the equality rows are linearly dependent;
 *   `notPositiveDefinite` when quadprog finds `Q` not positive definite; `notConverged` when it
 *   reports the constraints inconsistent (the feasible set is empty).
 * @example
 * // min ½ (z0² + z1²) - z1  s.t.  z0 + z1 = 1: z = (0, 1)
 * solveQuadraticProgram({ hessian: [1, 0, 0, 1], linear: [0, -1], constraints: [1, 1], bounds: [1], equalities: 1 }).z;
 * @see Goldfarb & Idnani 1983, "A numerically stable dual method for solving strictly convex
 *   quadratic programs", Mathematical Programming 27, 1–33.
 */
export function solveQuadraticProgram(problem: QuadraticProgram): QuadraticProgramSolution {
  const fn = 'solveQuadraticProgram';
  const { hessian, linear, constraints, bounds, equalities } = problem;
  const n = linear.length;
  const m = bounds.length;
  if (n < 1) throw new MetaLearnError('shapeMismatch', `${fn}: problem.linear must have n >= 1 entries, got ${n}`);
  if (hessian.length !== n * n) throw new MetaLearnError('shapeMismatch', `${fn}: problem.hessian must have n² = ${n * n} entries (n = ${n}), got ${hessian.length}`);
  if (constraints.length !== m * n) throw new MetaLearnError('shapeMismatch', `${fn}: problem.constraints must have m n = ${m * n} entries (m = ${m} rows of n = ${n}), got ${constraints.length}`);
  if (!Number.isInteger(equalities) || equalities < 0 || equalities > m) {
    throw new MetaLearnError('shapeMismatch', `${fn}: problem.equalities must be an integer in [0, ${m}], got ${equalities}`);
  }
  for (const [name, xs] of [['hessian', hessian], ['linear', linear], ['constraints', constraints], ['bounds', bounds]] as const) {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]!)) throw new MetaLearnError('nonFinite', `${fn}: problem.${name}[${i}] must be finite, got ${xs[i]}`);
    }
  }
  // quadprog needs at least one constraint column; a trivially true 0ᵀ z >= -1 stands in.
  // Rows as Float64Arrays (quadprog only indexes them): ~20-35% faster than number[] rows here.
  const q = Math.max(m, 1);
  const dmat: Float64Array[] = [new Float64Array(n + 1)];
  const amat: Float64Array[] = [new Float64Array(q + 1)];
  const dvec: number[] = [0];
  for (let i = 0; i < n; i++) {
    const drow = new Float64Array(n + 1);
    for (let j = 0; j < n; j++) drow[j + 1] = hessian[i * n + j]!;
    dmat.push(drow);
    const arow = new Float64Array(q + 1);
    for (let j = 0; j < m; j++) arow[j + 1] = constraints[j * n + i]!;
    amat.push(arow);
    dvec.push(-linear[i]!);
  }
  const bvec: number[] = [0];
  for (let j = 0; j < m; j++) bvec.push(bounds[j]!);
  if (m === 0) bvec.push(-1);
  const result = quadprog.solveQP(dmat, dvec, amat, bvec, equalities, [0, 0]);
  if (result.message !== '') {
    if (/not positive definite/.test(result.message)) {
      throw new MetaLearnError('notPositiveDefinite', `${fn}: problem.hessian is not positive definite (quadprog: ${result.message})`);
    }
    if (/inconsistent/.test(result.message)) {
      throw new MetaLearnError('notConverged', `${fn}: the constraints are infeasible (quadprog: ${result.message})`);
    }
    throw new MetaLearnError('invalidArgument', `${fn}: quadprog rejected the problem: ${result.message}`);
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = result.solution[i + 1]! + 0; // + 0: no -0
  const multipliers = new Float64Array(m);
  for (let j = 0; j < m; j++) multipliers[j] = result.Lagrangian[j + 1]!;
  // Equality multipliers: quadprog may negate an equality row in place, even while it is active
  // (when rounding leaves its residual above machine precision), so the sign of its reported
  // multiplier refers to an orientation that cannot be recovered afterwards. They are recomputed
  // from stationarity instead, given the inequality multipliers (which are never affected):
  // least squares  (A_E A_Eᵀ) μ_E = A_E r,  r = Q z + c - Σ_{j >= equalities} μ_j a_j.
  if (equalities > 0) {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let v = linear[i]!;
      for (let j = 0; j < n; j++) v += hessian[i * n + j]! * z[j]!;
      for (let j = equalities; j < m; j++) if (multipliers[j] !== 0) v -= multipliers[j]! * constraints[j * n + i]!;
      r[i] = v;
    }
    const e = equalities;
    const gram = new Float64Array(e * e);
    const rhs = new Float64Array(e);
    for (let a = 0; a < e; a++) {
      for (let i = 0; i < n; i++) rhs[a] = rhs[a]! + constraints[a * n + i]! * r[i]!;
      for (let b = 0; b <= a; b++) {
        let v = 0;
        for (let i = 0; i < n; i++) v += constraints[a * n + i]! * constraints[b * n + i]!;
        gram[a * e + b] = v;
        gram[b * e + a] = v;
      }
    }
    let factor: Float64Array;
    try {
      factor = choleskyHost(gram, e, `${fn}: A_E A_Eᵀ`);
    } catch (cause) {
      throw new MetaLearnError('invalidArgument', `${fn}: the ${e} equality rows of problem.constraints must be linearly independent`, { cause });
    }
    choleskySolveHost(factor, e, rhs);
    for (let a = 0; a < e; a++) multipliers[a] = rhs[a]! + 0;
  }
  const active = Int32Array.from(result.iact.slice(1).filter((k) => k > 0 && k <= m).map((k) => k - 1)).sort();
  let objective = 0;
  for (let i = 0; i < n; i++) {
    let qz = 0;
    for (let j = 0; j < n; j++) qz += hessian[i * n + j]! * z[j]!;
    objective += z[i]! * (0.5 * qz + linear[i]!);
  }
  return { z, multipliers, active, objective, iterations: result.iterations[1]! };
}
