// The closed-form ridge maths: both forms equal the float64 normal-equations solution (ml-matrix),
// with and without the bias column, on both sides of N = D; a hand-checkable case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, MetaLearnError } from '@metalearn/core';
import { ridgePredict, ridgeWeights, useWoodbury, withBiasColumn } from '@metalearn/r2d2';
import { onEveryBackend, relErr, ridgeReference } from './helpers.js';

test('ridgeWeights: Woodbury and primal forms equal (XᵀX + λI)⁻¹XᵀY from ml-matrix (float64), N < D and N > D, with and without bias', async (t) => {
  await onEveryBackend((backend) => {
    for (const [n, d, k, lambda] of [[5, 12, 3, 0.5], [15, 4, 2, 0.1], [25, 64, 5, 1]] as const) {
      const rng = createRng(1000 * n + d);
      const xs = Array.from({ length: n }, () => Array.from({ length: d }, () => Math.fround(rng.normal())));
      const ys = Array.from({ length: n }, () => Array.from({ length: k }, () => Math.fround(rng.normal())));
      for (const bias of [false, true]) {
        const xRef = bias ? xs.map((r) => [...r, 1]) : xs;
        const ref = ridgeReference(xRef, ys, lambda).flat();
        tf.tidy(() => {
          const x0 = tf.tensor2d(xs);
          const x = bias ? withBiasColumn(x0) : x0;
          const y = tf.tensor2d(ys);
          const lam = tf.scalar(lambda);
          const wW = ridgeWeights(x, y, lam, { form: 'woodbury' });
          const wP = ridgeWeights(x, y, lam, { form: 'primal' });
          const wA = ridgeWeights(x, y, lam);
          assert.deepEqual(wW.shape, [d + (bias ? 1 : 0), k]);
          const [eW, eP] = [relErr(wW.dataSync(), ref), relErr(wP.dataSync(), ref)];
          const eForms = relErr(wW.dataSync(), wP.dataSync());
          t.diagnostic(`${backend} N=${n} D=${d} bias=${bias}: woodbury ${eW.toExponential(2)}, primal ${eP.toExponential(2)} vs ml-matrix; forms differ by ${eForms.toExponential(2)} (tolerance 5e-5)`);
          // float32 products X Xᵀ / Xᵀ X round at ~6e-8 relative, amplified by the condition number
          // of the regularised Gram matrix (measured ≤ 7e-6 here).
          assert.ok(eW < 5e-5 && eP < 5e-5 && eForms < 5e-5, `${backend} N=${n} D=${d} bias=${bias}: ${eW}, ${eP}, ${eForms}`);
          assert.deepEqual(Array.from(wA.dataSync()), Array.from((useWoodbury(n, x.shape[1]) ? wW : wP).dataSync()), "'auto' picks Woodbury exactly when N < D");
        });
      }
    }
  });
});

test('ridgeWeights on a hand-checkable case: X = [1; 2], Y = [1; 2], λ = 1 gives W = 5/6; ridgePredict = α X W + β', async () => {
  await onEveryBackend(() => {
    tf.tidy(() => {
      const x = tf.tensor2d([[1], [2]]);
      const y = tf.tensor2d([[1], [2]]);
      for (const form of ['woodbury', 'primal'] as const) {
        const w = ridgeWeights(x, y, tf.scalar(1), { form }).dataSync()[0]!;
        assert.ok(Math.abs(w - 5 / 6) < 1e-6, `${form}: ${w}`);
      }
      const p = ridgePredict(tf.tensor2d([[3]]), tf.tensor2d([[5 / 6]]), tf.scalar(2), tf.scalar(-1)).dataSync()[0]!;
      assert.ok(Math.abs(p - (2 * 3 * (5 / 6) - 1)) < 1e-6, `predict: ${p}`);
      // λ → ∞ shrinks W to 0; λ → 0 with N > D tends to least squares (here exact fit W = 1).
      assert.ok(Math.abs(ridgeWeights(x, y, tf.scalar(1e6)).dataSync()[0]!) < 1e-5);
      assert.ok(Math.abs(ridgeWeights(x, y, tf.scalar(1e-6), { form: 'primal' }).dataSync()[0]! - 1) < 1e-5);
    });
  });
});

test('ridgeWeights validates shapes and rejects λ <= 0 as not positive definite', async () => {
  await onEveryBackend(() => {
    tf.tidy(() => {
      const x = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
      assert.throws(() => ridgeWeights(x, tf.ones([2, 1]), tf.scalar(1)), (e) => MetaLearnError.is(e, 'shapeMismatch') && /^ridgeWeights: targets must be float32 \[3, K\]/.test(e.message));
      assert.throws(() => ridgeWeights(tf.ones([3]), tf.ones([3, 1]), tf.scalar(1)), (e) => MetaLearnError.is(e, 'shapeMismatch') && /features must be float32 \[N, D\]/.test(e.message));
      assert.throws(() => ridgeWeights(x, tf.ones([3, 1]), tf.ones([1]) as tf.Scalar), (e) => MetaLearnError.is(e, 'shapeMismatch') && /lambda must be a scalar/.test(e.message));
      // Woodbury with N = 3 > rank 2 and λ = 0: X Xᵀ is singular.
      assert.throws(() => ridgeWeights(x, tf.ones([3, 1]), tf.scalar(0), { form: 'woodbury' }), (e) => MetaLearnError.is(e, 'notPositiveDefinite'));
      assert.throws(() => ridgeWeights(x, tf.ones([3, 1]), tf.scalar(-5), { form: 'primal' }), (e) => MetaLearnError.is(e, 'notPositiveDefinite'));
    });
  });
});
