// The quadprog wrapper: R's documented example, multipliers in the stated convention (including
// an equality quadprog negates internally), an empty constraint set, and MetaLearnErrors for
// malformed problems, a non-positive-definite Hessian and infeasible constraints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError } from '@metalearn/core';
import { solveQuadraticProgram, type QuadraticProgram } from '@metalearn/metaoptnet';

/** max_i |(Q z + c - Σ_j μ_j a_j)_i|: stationarity in the wrapper's convention. */
function stationarity(p: QuadraticProgram, z: ArrayLike<number>, mu: ArrayLike<number>): number {
  const n = p.linear.length;
  let r = 0;
  for (let i = 0; i < n; i++) {
    let s = p.linear[i]!;
    for (let j = 0; j < n; j++) s += p.hessian[i * n + j]! * z[j]!;
    for (let j = 0; j < p.bounds.length; j++) s -= mu[j]! * p.constraints[j * n + i]!;
    r = Math.max(r, Math.abs(s));
  }
  return r;
}

test("R's solve.QP example: min -(0 5 0)ᵀb + ½ bᵀb s.t. Aᵀ b >= (-8, 2, 0) gives b = (10, 22, 44)/21, value -50/21", () => {
  // Constraint rows a_j (the columns of R's Amat): (-4, -3, 0), (2, 1, 0), (0, -2, 1).
  const p: QuadraticProgram = { hessian: [1, 0, 0, 0, 1, 0, 0, 0, 1], linear: [0, -5, 0], constraints: [-4, -3, 0, 2, 1, 0, 0, -2, 1], bounds: [-8, 2, 0], equalities: 0 };
  const s = solveQuadraticProgram(p);
  const expected = [10 / 21, 22 / 21, 44 / 21];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(s.z[i]! - expected[i]!) < 1e-12, `z[${i}] = ${s.z[i]}`);
  assert.ok(Math.abs(s.objective - -50 / 21) < 1e-12, `objective ${s.objective}`);
  // R: Lagrangian (0, 0.2380952, 2.0952381), active constraints 3 and 2.
  assert.ok(Math.abs(s.multipliers[1]! - 5 / 21) < 1e-12 && Math.abs(s.multipliers[2]! - 44 / 21) < 1e-12 && s.multipliers[0] === 0, `μ ${Array.from(s.multipliers)}`);
  assert.deepEqual(Array.from(s.active), [1, 2]);
  assert.ok(stationarity(p, s.z, s.multipliers) < 1e-12);
  assert.ok(s.multipliers.every((m) => m >= 0), 'inequality multipliers are >= 0');
});

test('equalities: the multiplier keeps the sign of the row as given, also when quadprog negates it internally', () => {
  // min ½||z||² - z1 s.t. z0 + z1 = b. The unconstrained minimiser (0, 1) has z0 + z1 - b = 1 - b:
  // b = 0.5 makes it positive (quadprog negates the row), b = 2 negative. z = (t, 1 + t), t = (b - 1)/2, μ = t.
  for (const b of [0.5, 2]) {
    const p: QuadraticProgram = { hessian: [1, 0, 0, 1], linear: [0, -1], constraints: [1, 1], bounds: [b], equalities: 1 };
    const s = solveQuadraticProgram(p);
    const t = (b - 1) / 2;
    assert.ok(Math.abs(s.z[0]! - t) < 1e-12 && Math.abs(s.z[1]! - (1 + t)) < 1e-12, `b = ${b}: z ${Array.from(s.z)}`);
    assert.ok(Math.abs(s.multipliers[0]! - t) < 1e-12, `b = ${b}: μ ${s.multipliers[0]} (expected ${t})`);
    assert.ok(stationarity(p, s.z, s.multipliers) < 1e-12);
  }
  // An equality already met by the unconstrained minimiser is never added: multiplier 0, not active.
  const met = solveQuadraticProgram({ hessian: [1, 0, 0, 1], linear: [0, -1], constraints: [1, 1], bounds: [1], equalities: 1 });
  assert.deepEqual([Array.from(met.z), met.multipliers[0], met.active.length], [[0, 1], 0, 0]);
  // No constraint at all: z = -Q⁻¹ c.
  const free = solveQuadraticProgram({ hessian: [2, 0, 0, 4], linear: [-2, 4], constraints: [], bounds: [], equalities: 0 });
  assert.ok(Math.abs(free.z[0]! - 1) < 1e-15 && Math.abs(free.z[1]! + 1) < 1e-15, `z ${Array.from(free.z)}`);
});

test('malformed problems, a Hessian that is not positive definite and infeasible constraints throw MetaLearnErrors', () => {
  const ok: QuadraticProgram = { hessian: [1, 0, 0, 1], linear: [0, 0], constraints: [1, 0], bounds: [1], equalities: 0 };
  const is = (kind: Parameters<typeof MetaLearnError.is>[1], re: RegExp) => (e: unknown) => MetaLearnError.is(e, kind) && re.test(e.message);
  assert.throws(() => solveQuadraticProgram({ ...ok, hessian: [1, 0, 0] }), is('shapeMismatch', /^solveQuadraticProgram: problem.hessian must have n² = 4 entries/));
  assert.throws(() => solveQuadraticProgram({ ...ok, constraints: [1] }), is('shapeMismatch', /problem.constraints must have m n = 2 entries/));
  assert.throws(() => solveQuadraticProgram({ ...ok, equalities: 2 }), is('shapeMismatch', /problem.equalities must be an integer in \[0, 1\], got 2/));
  assert.throws(() => solveQuadraticProgram({ ...ok, linear: [0, NaN] }), is('nonFinite', /problem.linear\[1\] must be finite, got NaN/));
  assert.throws(() => solveQuadraticProgram({ ...ok, hessian: [1, 2, 2, 1] }), is('notPositiveDefinite', /problem.hessian is not positive definite \(quadprog: matrix D/));
  // z0 >= 1 and -z0 >= 0 (z0 <= 0): empty feasible set.
  assert.throws(() => solveQuadraticProgram({ ...ok, constraints: [1, 0, -1, 0], bounds: [1, 0] }), is('notConverged', /the constraints are infeasible \(quadprog: constraints are inconsistent/));
  // z0 = 1 and z0 = 2.
  assert.throws(() => solveQuadraticProgram({ ...ok, constraints: [1, 0, 1, 0], bounds: [1, 2], equalities: 2 }), is('notConverged', /infeasible/));
});
