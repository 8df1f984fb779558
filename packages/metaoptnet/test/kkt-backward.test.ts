// The KKT backward of the SVM dual. Host level (float64): the adjoint solves OptNet's reduced KKT
// system, and ∂L/∂K agrees with central finite differences of α*(K) along symmetric directions.
// Op level (tf.customGrad, every backend): the gradient of a query loss with respect to the
// support features X (through K = X Xᵀ and the scores) agrees with float64 finite differences,
// the QP's own contribution is substantial (the check could fail), degenerate embeddings give
// finite gradients, and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, softmaxCrossEntropy, stopGradient } from '@metalearn/core';
import { regularisedGram, solveSvmDual, svmDual, svmDualAdjoint, svmDualBackward, type SvmDualProblem } from '@metalearn/metaoptnet';
import { gramOf, onEveryBackend, problemOf, supportSet, type SupportSet } from './helpers.js';

function symmetricDirection(seed: number, n: number): Float64Array {
  const rng = createRng(seed);
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) e[i * n + j] = e[j * n + i] = rng.normal();
  return e;
}

const sameActiveSet = (a: Uint8Array, b: Uint8Array) => a.every((v, i) => v === b[i]);

test('the adjoint d_α solves the reduced KKT system: zero on active bounds, rows sum to 0, (K̃ d)_ik + g_ik constant over the free k of each example', () => {
  for (const [seed, ways, shots, C, ridge] of [[1, 5, 2, 0.1, 1], [2, 4, 3, 10, 0.01]] as const) {
    const p = problemOf(supportSet(seed, ways, shots, 6), C, ridge);
    const s = solveSvmDual(p);
    const n = ways * shots;
    const rng = createRng(seed + 100);
    const g = Float64Array.from({ length: n * ways }, () => rng.normal());
    const d = svmDualAdjoint(p, s, g);
    const kt = regularisedGram(p.gram, n, ridge);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      const residuals: number[] = [];
      for (let k = 0; k < ways; k++) {
        const v = i * ways + k;
        rowSum += d[v]!;
        if (s.active[v] === 1) {
          assert.equal(d[v], 0, `d is 0 on the active bound (${i}, ${k})`);
          continue;
        }
        let kd = 0;
        for (let j = 0; j < n; j++) kd += kt[i * n + j]! * d[j * ways + k]!;
        residuals.push(kd + g[v]!); // = -d_ν_i for every free k
      }
      worst = Math.max(worst, Math.abs(rowSum), ...residuals.map((r) => Math.abs(r - residuals[0]!)));
    }
    assert.ok(worst < 1e-10, `seed ${seed}: reduced KKT residual ${worst}`);
  }
});

test('∂L/∂K for L = Σ R ⊙ α*(K) agrees with central differences of the float64 solution along random symmetric directions (h = 1e-6, away from active-set switches)', (t) => {
  const cases: Array<[string, SvmDualProblem]> = [
    ['3-way 2-shot, C = 0.1, ε = 1 (bounds α_iy = C active)', problemOf(supportSet(3, 3, 2, 4), 0.1, 1)],
    ['5-way 1-shot, C = 10, ε = 0.01 (interior α_iy)', problemOf(supportSet(4, 5, 1, 8), 10, 0.01)],
    ['4-way 3-shot, C = 0.5, ε = 0.1', problemOf(supportSet(5, 4, 3, 6), 0.5, 0.1)],
    ['3-way 2-shot with a duplicated embedding, ε = 1e-3', (() => { const s = supportSet(6, 3, 2, 4); return problemOf({ ...s, x: s.x.map((r, i) => (i === 3 ? s.x[0]! : r)) }, 1, 1e-3); })()],
  ];
  for (const [label, p] of cases) {
    const n = p.labels.length;
    const rng = createRng(n);
    const r = Float64Array.from({ length: n * p.ways }, () => rng.normal());
    const loss = (alpha: ArrayLike<number>) => r.reduce((acc, v, i) => acc + v * alpha[i]!, 0);
    const base = solveSvmDual(p);
    const g = svmDualBackward(p, base, r);
    let checked = 0;
    let worst = 0;
    for (let dir = 0; dir < 6; dir++) {
      const e = symmetricDirection(1000 * n + dir, n);
      const h = 1e-6;
      const plus = solveSvmDual({ ...p, gram: Float64Array.from(p.gram, (v, i) => v + h * e[i]!) });
      const minus = solveSvmDual({ ...p, gram: Float64Array.from(p.gram, (v, i) => v - h * e[i]!) });
      if (!sameActiveSet(plus.active, base.active) || !sameActiveSet(minus.active, base.active)) continue; // a switch: the map has a kink there
      const fd = (loss(plus.alpha) - loss(minus.alpha)) / (2 * h);
      const analytic = g.reduce((acc, v, i) => acc + v * e[i]!, 0);
      worst = Math.max(worst, Math.abs(fd - analytic) / (1e-6 + Math.abs(fd)));
      checked++;
    }
    t.diagnostic(`${label}: ${checked} of 6 directions away from switches; max |fd - g·E| / (1e-6 + |fd|) = ${worst.toExponential(2)} (tolerance 1e-5)`);
    assert.ok(checked >= 4, `${label}: too many directions cross an active-set switch (${checked} of 6 usable)`);
    assert.ok(worst < 1e-5, `${label}: ${worst}`);
    assert.ok(g.some((v) => Math.abs(v) > 1e-3), `${label}: the gradient is not trivially zero`);
  }
});

/**
 * The query loss as the op computes it, in float64 on the host: softmax cross-entropy of
 * `γ X_q Xᵀ α*(X Xᵀ)`, and the active set of the QP.
 */
function hostQueryLoss(x: number[][], labels: number[], ways: number, xq: number[][], yq: number[], gamma: number, C: number, ridge: number): { loss: number; active: Uint8Array } {
  const s = solveSvmDual({ gram: gramOf(x), labels, ways, C, ridge });
  let loss = 0;
  for (let q = 0; q < xq.length; q++) {
    const z = Array.from({ length: ways }, (_, k) => gamma * x.reduce((acc, xi, i) => acc + s.alpha[i * ways + k]! * xi.reduce((a, v, d) => a + v * xq[q]![d]!, 0), 0));
    const m = Math.max(...z);
    loss += -(z[yq[q]!]! - m - Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)));
  }
  return { loss: loss / xq.length, active: s.active };
}

/** tf: the query loss as a function of the support features, through svmDual. */
function tfQueryLoss(x: tf.Tensor2D, labels: number[], ways: number, xq: tf.Tensor2D, yq: tf.Tensor1D, gamma: number, C: number, ridge: number, detachAlpha = false): tf.Scalar {
  return tf.tidy(() => {
    const alpha = svmDual(tf.matMul(x, x, false, true), labels, ways, { C, ridge });
    const a = detachAlpha ? stopGradient(alpha) : alpha;
    const logits = tf.mul(gamma, tf.matMul(tf.matMul(xq, x, false, true), a));
    return softmaxCrossEntropy(logits, yq);
  });
}

test('op level, every backend: ∂(query loss)/∂X_support through svmDual agrees with float64 central differences (h = 1e-4) on every coordinate away from active-set switches', async (t) => {
  const ways = 3;
  const set: SupportSet = supportSet(11, ways, 2, 4);
  const query = supportSet(11, ways, 3, 4); // same class means (same seed), other draws
  const xq = query.x.map((r) => r.map((v) => v + 0.1));
  const [gamma, C, ridge] = [2, 0.3, 0.5];
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const x = tf.tensor2d(set.x);
      const xqT = tf.tensor2d(xq);
      const yq = tf.tensor1d(query.labels, 'int32');
      const grad = tf.grad((xs: tf.Tensor) => tfQueryLoss(xs as tf.Tensor2D, set.labels, ways, xqT, yq, gamma, C, ridge))(x).arraySync() as number[][];
      const gradNoQp = tf.grad((xs: tf.Tensor) => tfQueryLoss(xs as tf.Tensor2D, set.labels, ways, xqT, yq, gamma, C, ridge, true))(x).arraySync() as number[][];
      const base = hostQueryLoss(set.x, set.labels, ways, xq, query.labels, gamma, C, ridge);
      const h = 1e-4;
      let worst = 0;
      let worstAbs = 0;
      let qpPart = 0;
      let skipped = 0;
      for (let i = 0; i < set.x.length; i++) {
        for (let d = 0; d < 4; d++) {
          const at = (delta: number) => hostQueryLoss(set.x.map((r, a) => r.map((v, b) => (a === i && b === d ? v + delta : v))), set.labels, ways, xq, query.labels, gamma, C, ridge);
          const [plus, minus] = [at(h), at(-h)];
          if (!sameActiveSet(plus.active, base.active) || !sameActiveSet(minus.active, base.active)) {
            skipped++;
            continue;
          }
          const fd = (plus.loss - minus.loss) / (2 * h);
          // float32 forward/backward: relative error ~1e-6 amplified by the KKT solve's conditioning.
          worst = Math.max(worst, Math.abs(grad[i]![d]! - fd) / (1e-4 + 1e-3 * Math.abs(fd)));
          worstAbs = Math.max(worstAbs, Math.abs(grad[i]![d]! - fd));
          qpPart = Math.max(qpPart, Math.abs(grad[i]![d]! - gradNoQp[i]![d]!));
        }
      }
      t.diagnostic(`${backend}: ${24 - skipped} of 24 coordinates (skipped at switches: ${skipped}); max |g - fd| = ${worstAbs.toExponential(2)}, / (1e-4 + 1e-3 |fd|) = ${worst.toFixed(3)} (pass <= 1); largest QP (KKT) contribution to a coordinate ${qpPart.toExponential(2)}`);
      assert.ok(skipped <= 4, `${backend}: ${skipped} coordinates at switches`);
      assert.ok(worst <= 1, `${backend}: ${worst}`);
      assert.ok(qpPart > 1e-2, `${backend}: the gradient through α*(K) must matter (a zero KKT backward would fail the FD check): ${qpPart}`);
    });
  });
});

test('op level, every backend: duplicated and all-zero support embeddings give finite α and finite gradients', async (t) => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const labels = [0, 0, 1, 1, 2, 2];
      const xq = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
      const yq = tf.tensor1d([0, 1, 2], 'int32');
      const cases: Array<[string, number[][]]> = [
        ['all zero', Array.from({ length: 6 }, () => [0, 0, 0])],
        ['every example duplicated across classes', Array.from({ length: 6 }, () => [0.5, -1, 2])],
        ['pairs duplicated within classes', [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]],
      ];
      for (const [label, rows] of cases) {
        for (const ridge of [1e-6, 1]) {
          const x = tf.tensor2d(rows);
          const alpha = svmDual(tf.matMul(x, x, false, true), labels, 3, { C: 0.1, ridge });
          const g = tf.grad((xs: tf.Tensor) => tfQueryLoss(xs as tf.Tensor2D, labels, 3, xq, yq, 1, 0.1, ridge))(x);
          const [a, gv] = [Array.from(alpha.dataSync()), Array.from(g.dataSync())];
          assert.ok(a.every(Number.isFinite) && gv.every(Number.isFinite), `${backend} ${label} ε = ${ridge}: α ${a}, ∂L/∂X ${gv}`);
          t.diagnostic(`${backend} ${label}, ε = ${ridge}: max |∂L/∂X| = ${Math.max(...gv.map(Math.abs)).toExponential(2)}`);
        }
      }
    });
  });
});

test('svmDual validates its inputs', async () => {
  await onEveryBackend(() => {
    tf.tidy(() => {
      const k = tf.eye(3);
      assert.throws(() => svmDual(k, [0, 1], 2, { C: 1, ridge: 1 }), /^MetaLearnError|svmDual: gram must be float32 \[2, 2\]/);
      assert.throws(() => svmDual(tf.ones([3, 3], 'int32'), [0, 1, 1], 2, { C: 1, ridge: 1 }), /svmDual: gram must be float32 \[3, 3\].*got int32/);
      assert.throws(() => svmDual(k, [0, 1, 2], 2, { C: 1, ridge: 1 }), /svmDual: problem.labels\[2\] must be a class in \[0, 2\)/);
      assert.throws(() => svmDual(k, [0, 1, 1], 2, { C: -1, ridge: 1 }), /svmDual: problem.C must be a finite number > 0/);
    });
  });
});
