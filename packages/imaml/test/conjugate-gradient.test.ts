// conjugateGradient on symmetric positive definite systems, against float64 solves (ml-matrix):
// - a random SPD 12x12 system with condition number 50: after n = 12 iterations the relative
//   residual is below 1e-4 (float32 vectors; measured ~1e-6) and x matches the float64 solution
//   to 1e-4; the residual norms reported per iteration fall overall (CG minimises the A-norm of
//   the error, not the residual, so single steps may rise);
// - a 12x12 SPD matrix with only 3 distinct eigenvalues: CG stops by tolerance after <= 3 (+1 for
//   float32 rounding) iterations, as Krylov theory says;
// - the tolerance stops early; b = 0 gives x = 0 with no matvec; maxIters 0 gives x = 0;
// - non-positive curvature (A = -I, or an indefinite A) stops, returning b at the first iteration
//   and the current iterate later, and says so in the report;
// - bad arguments throw MetaLearnError naming them. Every case on cpu and wasm, no leaked tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix, solve as mlSolve } from 'ml-matrix';
import { createRng, MetaLearnError } from '@metalearn/core';
import { conjugateGradient, type CgReport } from '@metalearn/imaml';
import { onEveryBackend, relErr } from './helpers.js';

/** `Q diag(eigs) Qᵀ` with `Q` orthogonal from a seeded Gaussian matrix (float64). */
function spd(seed: number, eigs: number[]): Matrix {
  const rng = createRng(seed);
  const n = eigs.length;
  const g = new Matrix(Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal())));
  const q = new EigenvalueDecomposition(g.add(g.transpose())).eigenvectorMatrix;
  return q.mmul(Matrix.diag(eigs)).mmul(q.transpose());
}

function matvecOf(a: Matrix, counter?: { calls: number }): (v: tf.Tensor) => tf.Tensor {
  const at = tf.tensor2d(a.to2DArray());
  const n = a.rows;
  return (v) => {
    if (counter) counter.calls++;
    return tf.reshape(tf.matMul(at, tf.reshape(v, [n, 1])), [n]);
  };
}

function randomVector(seed: number, n: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

test('conjugateGradient solves a random SPD system (condition 50) in n iterations to float32 accuracy (cpu, wasm)', async (t) => {
  const n = 12;
  const eigs = Array.from({ length: n }, (_, i) => 1 + (49 * i) / (n - 1));
  const a = spd(1, eigs);
  const b = randomVector(2, n);
  const xRef = mlSolve(a, Matrix.columnVector(b)).to1DArray();
  await onEveryBackend((backend) => {
    let report: CgReport | undefined;
    const counter = { calls: 0 };
    const x = tf.tidy(() => Array.from(conjugateGradient(matvecOf(a, counter), tf.tensor1d(b), { maxIters: n, tol: 0, onStop: (r) => (report = r) }).dataSync()));
    const residual = new Matrix([b]).transpose().sub(a.mmul(Matrix.columnVector(x))).norm() / Math.hypot(...b);
    const err = relErr(x, xRef);
    t.diagnostic(`${backend}: ${report!.iterations} iterations (${report!.stoppedBy}), relative residual ${residual.toExponential(2)} (recurrence ${(report!.residualNorm / report!.bNorm).toExponential(2)}), x rel. error ${err.toExponential(2)}`);
    assert.ok(report!.iterations <= n && counter.calls === report!.iterations, `${backend}: iterations ${report!.iterations}, matvec calls ${counter.calls}`);
    assert.ok(residual < 1e-4, `${backend}: relative residual ${residual}`);
    assert.ok(err < 1e-4, `${backend}: x relative error ${err}`);
    const norms = report!.residualNorms;
    assert.equal(norms[0], report!.bNorm);
    assert.ok(norms.at(-1)! < 1e-4 * norms[0]!, `${backend}: residual norms ${norms.join(', ')}`);
  });
});

test('conjugateGradient converges in as many iterations as A has distinct eigenvalues (3 for a 12x12 matrix) (cpu, wasm)', async (t) => {
  const n = 12;
  const a = spd(3, Array.from({ length: n }, (_, i) => [1, 4, 10][i % 3]!));
  const b = randomVector(4, n);
  const xRef = mlSolve(a, Matrix.columnVector(b)).to1DArray();
  await onEveryBackend((backend) => {
    let report: CgReport | undefined;
    const x = tf.tidy(() => Array.from(conjugateGradient(matvecOf(a), tf.tensor1d(b), { maxIters: n, tol: 1e-5, onStop: (r) => (report = r) }).dataSync()));
    t.diagnostic(`${backend}: stopped by ${report!.stoppedBy} after ${report!.iterations} iterations; residual norms ${report!.residualNorms.map((r) => r.toExponential(1)).join(', ')}`);
    assert.equal(report!.stoppedBy, 'tolerance');
    assert.ok(report!.iterations <= 4, `${backend}: ${report!.iterations} iterations for 3 distinct eigenvalues`);
    assert.ok(report!.residualNorms[3]! < 1e-5 * report!.bNorm, `${backend}: residual after 3 iterations ${report!.residualNorms[3]}`);
    assert.ok(relErr(x, xRef) < 1e-5, `${backend}: x relative error ${relErr(x, xRef)}`);
  });
});

test('conjugateGradient: tolerance, zero right-hand side, zero iterations, non-positive curvature (cpu, wasm)', async () => {
  const a = spd(5, [1, 2, 3, 5, 8, 13]);
  const b = randomVector(6, 6);
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      // A loose tolerance stops early, with the residual below it.
      let r: CgReport | undefined;
      conjugateGradient(matvecOf(a), tf.tensor1d(b), { maxIters: 6, tol: 0.3, onStop: (x) => (r = x) });
      assert.equal(r!.stoppedBy, 'tolerance', backend);
      assert.ok(r!.iterations < 6 && r!.residualNorm <= 0.3 * r!.bNorm, `${backend}: ${JSON.stringify(r)}`);
      // maxIters reached.
      conjugateGradient(matvecOf(a), tf.tensor1d(b), { maxIters: 2, tol: 0, onStop: (x) => (r = x) });
      assert.equal(r!.stoppedBy, 'maxIters');
      assert.equal(r!.iterations, 2);
      // b = 0: x = 0 without calling matvec.
      const counter = { calls: 0 };
      const x0 = conjugateGradient(matvecOf(a, counter), tf.zeros([6]), { maxIters: 6 });
      assert.deepEqual(Array.from(x0.dataSync()), [0, 0, 0, 0, 0, 0]);
      assert.equal(counter.calls, 0);
      // maxIters 0: x = 0.
      assert.deepEqual(Array.from(conjugateGradient(matvecOf(a), tf.tensor1d(b), { maxIters: 0 }).dataSync()), [0, 0, 0, 0, 0, 0]);
      // A = -I: no positive curvature at all; the first iteration returns b.
      const neg = conjugateGradient((v) => tf.neg(v), tf.tensor1d(b), { maxIters: 6, onStop: (x) => (r = x) });
      assert.equal(r!.stoppedBy, 'nonPositiveCurvature');
      assert.equal(r!.iterations, 0);
      assert.deepEqual(Array.from(neg.dataSync()), Array.from(Float32Array.from(b)));
      // Indefinite diag(1, -1, 1), b = (1, 1, 0): p0 = b has p0ᵀAp0 = 0; stops at once with b.
      const d = tf.tensor1d([1, -1, 1]);
      conjugateGradient((v) => tf.mul(d, v), tf.tensor1d([1, 1, 0]), { maxIters: 3, onStop: (x) => (r = x) });
      assert.equal(r!.stoppedBy, 'nonPositiveCurvature');
      // diag(1, -0.5), b = (1, 0.1): positive curvature first (x1 = alpha b), negative along p1: returns x1.
      const d2 = tf.tensor1d([1, -0.5]);
      const bb = tf.tensor1d([1, 0.1]);
      const x1 = conjugateGradient((v) => tf.mul(d2, v), bb, { maxIters: 2, tol: 0, onStop: (x) => (r = x) });
      assert.equal(r!.stoppedBy, 'nonPositiveCurvature');
      assert.equal(r!.iterations, 1);
      const alpha = (1 + 0.01) / (1 - 0.5 * 0.01);
      assert.ok(relErr(Array.from(x1.dataSync()), [alpha, 0.1 * alpha]) < 1e-6, `${backend}: x1 = ${x1.dataSync()}`);
    });
  });
});

test('conjugateGradient: bad arguments throw MetaLearnError naming them', () => {
  tf.tidy(() => {
    const b = tf.tensor1d([1, 2]);
    const id = (v: tf.Tensor) => tf.clone(v);
    const cases: Array<[() => unknown, string, RegExp]> = [
      [() => conjugateGradient(id, tf.tensor1d([1, 2], 'int32'), { maxIters: 2 }), 'invalidArgument', /b must be float32/],
      [() => conjugateGradient(id, b, { maxIters: -1 }), 'invalidArgument', /options\.maxIters must be an integer >= 0, got -1/],
      [() => conjugateGradient(id, b, { maxIters: 1.5 }), 'invalidArgument', /options\.maxIters/],
      [() => conjugateGradient(id, b, { maxIters: 2, tol: -1 }), 'invalidArgument', /options\.tol must be a finite number >= 0, got -1/],
      [() => conjugateGradient(() => tf.zeros([3]), b, { maxIters: 2 }), 'shapeMismatch', /matvec must return a tensor of shape \[2\].*got \[3\]/],
    ];
    for (const [f, kind, pattern] of cases) {
      assert.throws(f, (e) => MetaLearnError.is(e, kind as 'invalidArgument') && pattern.test(e.message) && e.message.startsWith('conjugateGradient: '), String(pattern));
    }
  });
});
