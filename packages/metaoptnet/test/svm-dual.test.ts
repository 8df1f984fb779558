// The Crammer–Singer SVM dual solved by quadprog: hand-solvable cases (two points, all-zero
// embeddings), an independent certificate (the primal objective of the weights on explicit
// augmented features equals the dual objective: duality gap), the KKT residuals at the solution
// and their sensitivity away from it, degenerate embeddings, determinism, malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError } from '@metalearn/core';
import { regularisedGram, solveSvmDual, solveSvmDualByClass, svmKktResiduals, svmObjectives, type SvmDualProblem } from '@metalearn/metaoptnet';
import { gramOf, maxAbsDiff, primalAndDual, problemOf, supportSet, type SupportSet } from './helpers.js';

const METHODS = ['byClass', 'full'] as const;

test('two 1-D points ±1 of classes 0 and 1: α = [[t, -t], [-t, t]] with t = 1/(4 + 2ε), or t = C when C is smaller (both methods)', () => {
  for (const [C, ridge, method] of [[10, 1e-3], [10, 0.5], [0.1, 1e-3], [0.2, 1]].flatMap(([c, r]) => METHODS.map((m) => [c!, r!, m] as const))) {
    const s = solveSvmDual({ gram: [1, -1, -1, 1], labels: [0, 1], ways: 2, C, ridge }, { method });
    assert.equal(s.method, method);
    const t = Math.min(C, 1 / (4 + 2 * ridge));
    const err = maxAbsDiff(s.alpha, [t, -t, -t, t]);
    assert.ok(err < 1e-12, `C = ${C}, ε = ${ridge}: α ${Array.from(s.alpha)} vs t = ${t} (error ${err})`);
    // t = C: the bounds α_{i,y_i} <= C are active, with positive multipliers.
    if (C < 1 / (4 + 2 * ridge)) assert.deepEqual([s.active[0], s.active[3], s.lambda[0]! > 0, s.lambda[3]! > 0], [1, 1, true, true]);
  }
});

test('all-zero embeddings (K = 0, singular): per example α_{i,y} = t = min(C, (W-1)/(εW)), the other classes share -t equally (both methods)', () => {
  for (const [ways, shots, C, ridge, method] of [[3, 2, 0.1, 1], [4, 1, 1, 10], [5, 3, 100, 1e-3]].flatMap(([a, b, c, r]) => METHODS.map((m) => [a!, b!, c!, r!, m] as const))) {
    const n = ways * shots;
    const labels = Array.from({ length: n }, (_, i) => Math.floor(i / shots));
    const p: SvmDualProblem = { gram: new Float64Array(n * n), labels, ways, C, ridge };
    const s = solveSvmDual(p, { method });
    const t = Math.min(C, (ways - 1) / (ridge * ways));
    const expected = labels.flatMap((y) => Array.from({ length: ways }, (_, k) => (k === y ? t : -t / (ways - 1))));
    const err = maxAbsDiff(s.alpha, expected);
    assert.ok(err < 1e-12, `${ways}-way ${shots}-shot C = ${C} ε = ${ridge}: error ${err}`);
    assert.ok(svmKktResiduals(p, s).max < 1e-12);
  }
});

/** Solves, certifies by the duality gap on explicit features and by the KKT residuals; returns the numbers. */
function certify(set: SupportSet, C: number, ridge: number, method: 'byClass' | 'full' = 'byClass') {
  const p = problemOf(set, C, ridge);
  const s = solveSvmDual(p, { method });
  const { primal, dual } = primalAndDual(set, s.alpha, C, ridge);
  const kkt = svmKktResiduals(p, s);
  const obj = svmObjectives(p, s.alpha);
  return { p, s, gap: primal - dual, primal, dual, kkt, obj };
}

test('independent certificate: primal objective of W = Σ α x̃ on explicit augmented features equals the dual objective (gap <= 1e-6); KKT residuals <= 1e-6', (t) => {
  const cases: Array<[string, SupportSet, number, number]> = [
    ['5-way 1-shot, D = 16', supportSet(1, 5, 1, 16), 0.1, 1],
    ['5-way 5-shot, D = 32', supportSet(2, 5, 5, 32), 0.1, 1],
    ['5-way 5-shot, D = 32, C = 10, ε = 1e-3 (hard margin regime)', supportSet(3, 5, 5, 32), 10, 1e-3],
    ['3-way 4-shot, D = 2 (N_s > D: K singular), ε = 1e-4', supportSet(4, 3, 4, 2, 1.5), 1, 1e-4],
    ['10-way 1-shot, D = 8', supportSet(5, 10, 1, 8), 0.5, 0.1],
  ];
  for (const [label0, set, C, ridge, method] of cases.flatMap(([l, st, c, r]) => METHODS.map((m) => [l, st, c, r, m] as const))) {
    const label = `${label0} [${method}]`;
    const { s, gap, primal, dual, kkt, obj } = certify(set, C, ridge, method);
    t.diagnostic(`${label}${s.method !== method ? ` (fell back to ${s.method})` : ''}: P = ${primal.toFixed(9)}, D = ${dual.toFixed(9)}, gap ${gap.toExponential(2)}; KKT stationarity ${kkt.stationarity.toExponential(1)}, primal feas. ${kkt.primalFeasibility.toExponential(1)}, dual feas. ${kkt.dualFeasibility.toExponential(1)}, compl. slackness ${kkt.complementarySlackness.toExponential(1)}; ${s.iterations} quadprog iterations, ${s.active.reduce((a, b) => a + b, 0)} active bounds`);
    assert.ok(gap >= -1e-9 && gap <= 1e-6, `${label}: duality gap ${gap}`);
    assert.ok(kkt.max <= 1e-6, `${label}: KKT ${JSON.stringify(kkt)}`);
    // The package's own objectives agree with the explicit-feature computation.
    assert.ok(Math.abs(obj.primal - primal) < 1e-9 * (1 + Math.abs(primal)) && Math.abs(obj.dual - dual) < 1e-9 * (1 + Math.abs(dual)), `${label}: svmObjectives ${JSON.stringify(obj)}`);
    // The check can fail: a feasible but suboptimal α (scaled by 0.9: bounds and row sums still hold) has a clear gap.
    const worse = primalAndDual(set, s.alpha.map((a) => 0.9 * a), C, ridge);
    assert.ok(worse.primal - worse.dual > 1e-4, `${label}: 0.9 α must leave a gap, got ${worse.primal - worse.dual}`);
  }
});

test('svmKktResiduals measures each condition: every one is ~0 at the solution and grows when it is broken', () => {
  const { p, s, kkt } = certify(supportSet(6, 4, 3, 6), 0.2, 0.5);
  assert.ok(kkt.max < 1e-12, JSON.stringify(kkt));
  const w = p.ways;
  const activeC = Array.from(s.active).findIndex((a, v) => a === 1 && s.lambda[v]! > 1e-3);
  const free = Array.from(s.active).findIndex((a) => a === 0);
  assert.ok(activeC >= 0 && free >= 0, 'the case has an active bound with λ > 0 and a free entry');
  // Stationarity: a feasible move of α.
  const scaled = svmKktResiduals(p, { ...s, alpha: s.alpha.map((a) => 0.9 * a) });
  assert.ok(scaled.stationarity > 1e-3 && scaled.primalFeasibility < 1e-12, JSON.stringify(scaled));
  // Primal feasibility: a row that no longer sums to 0, and an entry above its bound.
  const alpha = s.alpha.slice();
  alpha[free] = alpha[free]! + 0.05;
  assert.ok(Math.abs(svmKktResiduals(p, { ...s, alpha }).primalFeasibility - 0.05) < 1e-12);
  const above = s.alpha.slice();
  const i0 = Math.floor(activeC / w);
  above[activeC] = above[activeC]! + 0.3;
  const other = i0 * w + ((activeC % w) + 1) % w;
  above[other] = above[other]! - 0.3; // keep the row sum
  assert.ok(Math.abs(svmKktResiduals(p, { ...s, alpha: above }).primalFeasibility - 0.3) < 1e-12);
  // Dual feasibility: a negative bound multiplier.
  const lambda = s.lambda.slice();
  lambda[activeC] = -lambda[activeC]!;
  assert.ok(Math.abs(svmKktResiduals(p, { ...s, lambda }).dualFeasibility - s.lambda[activeC]!) < 1e-12);
  // Complementary slackness: a positive multiplier on a free entry (α strictly inside its bound).
  const slack = s.lambda.slice();
  slack[free] = 1;
  const bound = p.labels[Math.floor(free / w)] === free % w ? p.C : 0;
  assert.ok(Math.abs(svmKktResiduals(p, { ...s, lambda: slack }).complementarySlackness - Math.abs(s.alpha[free]! - bound)) < 1e-12);
});

test('degenerate embeddings: duplicated support examples (same and different classes) and all-zero features give finite, certified solutions', (t) => {
  const base = supportSet(7, 3, 2, 5);
  const dupDifferent: SupportSet = { ...base, x: base.x.map((r, i) => (i === 2 ? base.x[0]! : r)) }; // example 2 (class 1) = example 0 (class 0)
  const dupSame: SupportSet = { ...base, x: base.x.map((r, i) => (i === 1 ? base.x[0]! : r)) };
  const zeros: SupportSet = { ...base, x: base.x.map((r) => r.map(() => 0)) };
  const someZero: SupportSet = { ...base, x: base.x.map((r, i) => (i % 2 === 0 ? r.map(() => 0) : r)) };
  for (const [label, set] of [['duplicate across classes', dupDifferent], ['duplicate within a class', dupSame], ['all zero', zeros], ['half zero', someZero]] as const) {
    for (const [ridge, method] of [1e-6, 1].flatMap((r) => METHODS.map((m) => [r, m] as const))) {
      const { s, gap, kkt } = certify(set, 0.1, ridge, method);
      t.diagnostic(`${label}, ε = ${ridge} [${method}${s.method !== method ? ` → ${s.method}` : ''}]: gap ${gap.toExponential(2)}, KKT ${kkt.max.toExponential(2)}`);
      assert.ok(s.alpha.every(Number.isFinite), `${label}: finite α`);
      assert.ok(Math.abs(gap) <= 1e-6 && kkt.max <= 1e-6, `${label}, ε = ${ridge}: gap ${gap}, KKT ${kkt.max}`);
    }
  }
  // Identical embeddings of different classes: the SVM cannot tell them apart, so their α rows differ only by the labels' swap.
  const { s } = certify(dupDifferent, 0.1, 1e-6);
  assert.ok(Number.isFinite(s.alpha[0]!));
});

test("the class-by-class Newton method and the one big QP give the same α and active set; it falls back to the big QP when Newton stops early", (t) => {
  const cases: Array<[string, SvmDualProblem]> = [
    ['5-way 5-shot, C = 0.1, ε = 1', problemOf(supportSet(21, 5, 5, 16), 0.1, 1)],
    ['10-way 2-shot, D = 32, C = 10, ε = 1e-3', problemOf(supportSet(22, 10, 2, 32), 10, 1e-3)],
    ['4-way, class 3 has no support example', { ...problemOf(supportSet(23, 3, 3, 4), 0.5, 0.1), ways: 4 }],
    ['3-way 3-shot, every embedding equal, ε = 0.1', problemOf({ ...supportSet(24, 3, 3, 4), x: Array.from({ length: 9 }, () => [1, 2, 0, -1]) }, 0.1, 0.1)],
  ];
  for (const [label, p] of cases) {
    const a = solveSvmDual(p);
    const b = solveSvmDual(p, { method: 'full' });
    const diff = maxAbsDiff(a.alpha, b.alpha);
    t.diagnostic(`${label}: max |α_byClass - α_full| = ${diff.toExponential(2)}; quadprog iterations ${a.iterations} (byClass) vs ${b.iterations} (full)`);
    assert.equal(a.method, 'byClass');
    assert.ok(diff < 1e-10, `${label}: ${diff}`);
    assert.deepEqual(Array.from(a.active), Array.from(b.active), `${label}: active sets`);
    assert.ok(maxAbsDiff(a.nu, b.nu) < 1e-8 && maxAbsDiff(a.lambda, b.lambda) < 1e-8, `${label}: multipliers`);
  }
  // Newton with no step allowed does not converge: undefined, and solveSvmDual would fall back.
  const p = problemOf(supportSet(25, 4, 2, 6), 0.1, 1);
  const n = p.labels.length;
  assert.equal(solveSvmDualByClass(regularisedGram(p.gram, n, p.ridge), n, p.ways, p.labels, p.C, 0), undefined);
  assert.ok(solveSvmDualByClass(regularisedGram(p.gram, n, p.ridge), n, p.ways, p.labels, p.C) !== undefined);
  // An ill-conditioned K̃ (N_s = 12 > D = 2, ε = 1e-4) defeats Newton's budget: solveSvmDual falls back and is still exact.
  const ill = problemOf(supportSet(4, 3, 4, 2, 1.5), 1, 1e-4);
  const fallback = solveSvmDual(ill);
  assert.equal(fallback.method, 'full');
  assert.ok(maxAbsDiff(fallback.alpha, solveSvmDual(ill, { method: 'full' }).alpha) === 0 && svmKktResiduals(ill, fallback).max < 1e-9);
});

test('the regularised Gram matrix is sym(K) + εI; solutions are bitwise deterministic; only the symmetric part of K is read', () => {
  assert.deepEqual(Array.from(regularisedGram([1, 2, 4, 3], 2, 0.5)), [1.5, 3, 3, 3.5]);
  const set = supportSet(8, 4, 2, 6);
  const p = problemOf(set, 0.1, 1);
  const a = solveSvmDual(p);
  const b = solveSvmDual(p);
  assert.deepEqual(Array.from(b.alpha), Array.from(a.alpha));
  assert.throws(() => solveSvmDual(p, { method: 'newton' as 'full' }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options.method must be 'byClass' or 'full'/.test(e.message));
  assert.deepEqual([Array.from(b.nu), Array.from(b.lambda), Array.from(b.active)], [Array.from(a.nu), Array.from(a.lambda), Array.from(a.active)]);
  // K + A with A antisymmetric has the same symmetric part.
  const n = set.x.length;
  const skewed = Float64Array.from(p.gram, (v, idx) => v + (Math.floor(idx / n) < idx % n ? 0.3 : Math.floor(idx / n) > idx % n ? -0.3 : 0));
  assert.ok(maxAbsDiff(solveSvmDual({ ...p, gram: skewed }).alpha, a.alpha) < 1e-12);
});

test('malformed problems throw MetaLearnErrors naming the argument; a Gram matrix that is not positive semi-definite is reported by quadprog', () => {
  const ok: SvmDualProblem = { gram: gramOf([[1, 0], [0, 1], [1, 1]]), labels: [0, 1, 2], ways: 3, C: 0.1, ridge: 1 };
  const is = (kind: Parameters<typeof MetaLearnError.is>[1], re: RegExp) => (e: unknown) => MetaLearnError.is(e, kind) && re.test(e.message);
  assert.throws(() => solveSvmDual({ ...ok, labels: [0, 1, 3] }), is('invalidArgument', /^solveSvmDual: problem.labels\[2\] must be a class in \[0, 3\), got 3/));
  assert.throws(() => solveSvmDual({ ...ok, labels: [0, 1.5, 2] }), is('invalidArgument', /problem.labels\[1\]/));
  assert.throws(() => solveSvmDual({ ...ok, ways: 1, labels: [0, 0, 0] }), is('invalidArgument', /problem.ways must be an integer >= 2, got 1/));
  assert.throws(() => solveSvmDual({ ...ok, C: 0 }), is('invalidArgument', /problem.C must be a finite number > 0, got 0/));
  assert.throws(() => solveSvmDual({ ...ok, ridge: 0 }), is('invalidArgument', /problem.ridge must be a finite number > 0 \(it makes the QP strictly convex\), got 0/));
  assert.throws(() => solveSvmDual({ ...ok, gram: [1, 0, 0, 1] }), is('shapeMismatch', /problem.gram must be \[3, 3\] \(9 entries, N_s = labels.length\), got 4 entries/));
  assert.throws(() => solveSvmDual({ ...ok, gram: Float64Array.from(ok.gram, (v, i) => (i === 4 ? NaN : v)) }), is('nonFinite', /problem.gram\[1\]\[1\] must be finite, got NaN/));
  assert.throws(() => solveSvmDual({ ...ok, labels: [] }), is('invalidArgument', /N_s >= 1/));
  // K = -3 I is not a Gram matrix: K̃ = -2 I, and quadprog rejects the QP.
  assert.throws(() => solveSvmDual({ ...ok, gram: [-3, 0, 0, 0, -3, 0, 0, 0, -3] }), is('notPositiveDefinite', /^solveQuadraticProgram: problem.hessian is not positive definite/));
});
