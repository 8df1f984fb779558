// Gradients of the engine's dense linear algebra on every backend, against central finite
// differences of the float32 ops themselves, and second and third derivatives (gradients of the
// custom backward passes) against finite differences of gradients and against closed forms.
// Step h = 5e-3 on matrices with eigenvalues in [0.5, ~4]: the central-difference truncation error
// ~h²|φ'''|/6 dominates (measured: it scales as h² — 4x smaller from h = 1e-2 to 5e-3, 4x larger at
// 2e-2), float32 rounding of the outputs adds ~6e-8 |φ| / h ~ 1e-5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cholesky, choleskySolve, triangularSolve } from '@metalearn/core';
import { createRng, dot, maxAbs, maxAbsDiff, normals, randomSpd, randomSymmetric, shifted, weightedSum } from './linalg-fixtures.js';
import { onEveryBackend } from './helpers.js';

const H = 5e-3;

/** Symmetric unit directions E_ij = e_i e_jᵀ + e_j e_iᵀ (i > j), E_ii = e_i e_iᵀ, of batch element `b`. */
function symmetricUnitDirections(batch: number, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const e = new Float64Array(batch * n * n);
        e[b * n * n + i * n + j] = 1;
        e[b * n * n + j * n + i] = 1;
        out.push(e);
      }
    }
  }
  return out;
}

test('cholesky: ∇_A Σ W⊙L against central differences along every symmetric unit direction (batch 2, n = 4); gradient symmetric', async (t) => {
  await onEveryBackend((backend) => {
    const [batch, n] = [2, 4];
    const rng = createRng(21);
    const a64 = randomSpd(rng, batch, n);
    const w = normals(rng, batch * n * n);
    const shape = [batch, n, n];
    tf.tidy(() => {
      const wT = tf.tensor(Float32Array.from(w), shape);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(cholesky(a), wT)))(tf.tensor(Float32Array.from(a64), shape)).dataSync();
      let worst = 0;
      for (const e of symmetricUnitDirections(batch, n)) {
        const fd = (weightedSum(cholesky(shifted(a64, e, H, shape)), w) - weightedSum(cholesky(shifted(a64, e, -H, shape)), w)) / (2 * H);
        worst = Math.max(worst, Math.abs(dot(g, e) - fd) / (1 + Math.abs(fd)));
      }
      t.diagnostic(`${backend}: max |<∇, E> - FD| / (1 + |FD|) over 20 directions = ${worst.toExponential(2)} (tolerance 2e-4)`);
      assert.ok(worst < 2e-4, `${backend}: ${worst}`);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(g[b * n * n + i * n + j]! - g[b * n * n + j * n + i]!) < 1e-6, 'symmetric gradient');
      }
    });
  });
});

test('choleskySolve: ∇_A and ∇_B of Σ W⊙A⁻¹B against central differences along every unit direction (batch 2, n = 4, m = 3)', async (t) => {
  await onEveryBackend((backend) => {
    const [batch, n, m] = [2, 4, 3];
    const rng = createRng(22);
    const a64 = randomSpd(rng, batch, n);
    const b64 = normals(rng, batch * n * m);
    const w = normals(rng, batch * n * m);
    const aShape = [batch, n, n];
    const bShape = [batch, n, m];
    tf.tidy(() => {
      const wT = tf.tensor(Float32Array.from(w), bShape);
      const a = tf.tensor(Float32Array.from(a64), aShape);
      const b = tf.tensor(Float32Array.from(b64), bShape);
      const [gA, gB] = tf.grads((aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(choleskySolve(aa, bb), wT)))([a, b]).map((x) => x.dataSync());
      let worstA = 0;
      for (const e of symmetricUnitDirections(batch, n)) {
        const fd = (weightedSum(choleskySolve(shifted(a64, e, H, aShape), b), w) - weightedSum(choleskySolve(shifted(a64, e, -H, aShape), b), w)) / (2 * H);
        worstA = Math.max(worstA, Math.abs(dot(gA!, e) - fd) / (1 + Math.abs(fd)));
      }
      let worstB = 0;
      for (let k = 0; k < b64.length; k++) {
        const d = new Float64Array(b64.length);
        d[k] = 1;
        const fd = (weightedSum(choleskySolve(a, shifted(b64, d, H, bShape)), w) - weightedSum(choleskySolve(a, shifted(b64, d, -H, bShape)), w)) / (2 * H);
        worstB = Math.max(worstB, Math.abs(gB![k]! - fd) / (1 + Math.abs(fd)));
      }
      t.diagnostic(`${backend}: ∇_A max rel. error ${worstA.toExponential(2)}, ∇_B ${worstB.toExponential(2)} (tolerance 5e-4)`);
      assert.ok(worstA < 5e-4 && worstB < 5e-4, `${backend}: ${worstA}, ${worstB}`);
    });
  });
});

test('triangularSolve: ∇_T (zero outside the read triangle) and ∇_B against central differences, all four (lower, transpose)', async (t) => {
  await onEveryBackend((backend) => {
    const [n, m] = [4, 2];
    const rng = createRng(23);
    const l64 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l64[i * n + j] = i === j ? 1.5 + rng.next() : 0.5 * rng.normal();
    const b64 = normals(rng, n * m);
    const w = normals(rng, n * m);
    let worst = 0;
    for (const lower of [true, false]) {
      // The upper case uses U = Lᵀ.
      const t64 = lower ? l64 : Float64Array.from({ length: n * n }, (_, k) => l64[(k % n) * n + Math.floor(k / n)]!);
      for (const transpose of [false, true]) {
        tf.tidy(() => {
          const wT = tf.tensor2d(Float32Array.from(w), [n, m]);
          const tT = tf.tensor2d(Float32Array.from(t64), [n, n]);
          const bT = tf.tensor2d(Float32Array.from(b64), [n, m]);
          const f = (tt: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(triangularSolve(tt, bb, { lower, transpose }), wT));
          const [gT, gB] = tf.grads(f)([tT, bT]).map((x) => x.dataSync());
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const inTriangle = lower ? i >= j : i <= j;
              if (!inTriangle) {
                assert.ok(gT![i * n + j] === 0, 'no gradient outside the triangle');
                continue;
              }
              const d = new Float64Array(n * n);
              d[i * n + j] = 1;
              const fd = (weightedSum(triangularSolve(shifted(t64, d, H, [n, n]), bT, { lower, transpose }), w) - weightedSum(triangularSolve(shifted(t64, d, -H, [n, n]), bT, { lower, transpose }), w)) / (2 * H);
              worst = Math.max(worst, Math.abs(gT![i * n + j]! - fd) / (1 + Math.abs(fd)));
            }
          }
          for (let k = 0; k < n * m; k++) {
            const d = new Float64Array(n * m);
            d[k] = 1;
            const fd = (weightedSum(triangularSolve(tT, shifted(b64, d, H, [n, m]), { lower, transpose }), w) - weightedSum(triangularSolve(tT, shifted(b64, d, -H, [n, m]), { lower, transpose }), w)) / (2 * H);
            worst = Math.max(worst, Math.abs(gB![k]! - fd) / (1 + Math.abs(fd)));
          }
        });
      }
    }
    t.diagnostic(`${backend}: max rel. error over ∇_T, ∇_B, 4 variants = ${worst.toExponential(2)} (tolerance 1e-4)`);
    assert.ok(worst < 1e-4, `${backend}: ${worst}`);
  });
});

test('second order: ∇_A <∇_A φ, E> equals the central difference of ∇_A φ along E, for φ = Σ W⊙A⁻¹B and φ = Σ W⊙chol(A)', async (t) => {
  await onEveryBackend((backend) => {
    const [batch, n, m] = [2, 5, 2];
    const rng = createRng(24);
    const a64 = randomSpd(rng, batch, n);
    const e = randomSymmetric(rng, batch, n);
    const aShape = [batch, n, n];
    tf.tidy(() => {
      const b = tf.tensor(Float32Array.from(normals(rng, batch * n * m)), [batch, n, m]);
      const wSolve = tf.tensor(Float32Array.from(normals(rng, batch * n * m)), [batch, n, m]);
      const wChol = tf.tensor(Float32Array.from(normals(rng, batch * n * n)), aShape);
      const eT = tf.tensor(Float32Array.from(e), aShape);
      const objectives: Array<[string, (a: tf.Tensor) => tf.Scalar]> = [
        ['choleskySolve', (a) => tf.sum(tf.mul(choleskySolve(a, b), wSolve))],
        ['cholesky', (a) => tf.sum(tf.mul(cholesky(a), wChol))],
      ];
      for (const [name, phi] of objectives) {
        const grad = tf.grad(phi);
        const hv = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(grad(a), eT)))(tf.tensor(Float32Array.from(a64), aShape)).dataSync();
        const fd = tf.div(tf.sub(grad(shifted(a64, e, H, aShape)), grad(shifted(a64, e, -H, aShape))), 2 * H).dataSync();
        const err = maxAbsDiff(hv, fd) / maxAbs(fd);
        t.diagnostic(`${backend} ${name}: max|H E - FD| / max|FD| = ${err.toExponential(2)} (tolerance 2e-3)`);
        assert.ok(err < 2e-3, `${backend} ${name}: ${err}`);
        assert.ok(maxAbs(hv) > 1e-2, 'the second derivative is not trivially zero');
      }
    });
  });
});

test('third order on 1x1 systems: d³/da³ (b/a) = -6b/a⁴ and d³/da³ √a = (3/8) a^(-5/2), through three nested custom backward passes', async () => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const [a0, b0] = [1.7, 0.9];
      const b = tf.tensor2d([[b0]]);
      const solve1 = (a: tf.Tensor): tf.Scalar => tf.sum(choleskySolve(a, b));
      const chol1 = (a: tf.Tensor): tf.Scalar => tf.sum(cholesky(a));
      const third = (f: (a: tf.Tensor) => tf.Scalar): number =>
        tf.grad((a: tf.Tensor) => tf.sum(tf.grad((a2: tf.Tensor) => tf.sum(tf.grad(f)(a2)))(a)))(tf.tensor2d([[a0]])).dataSync()[0]!;
      const s = third(solve1);
      const c = third(chol1);
      const sExact = (-6 * b0) / a0 ** 4;
      const cExact = (3 / 8) * a0 ** -2.5;
      assert.ok(Math.abs(s - sExact) < 1e-5 * Math.abs(sExact), `${backend} solve: ${s} vs ${sExact}`);
      assert.ok(Math.abs(c - cExact) < 1e-5 * Math.abs(cExact), `${backend} cholesky: ${c} vs ${cExact}`);
    });
  });
});
