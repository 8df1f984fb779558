// Forward values of the engine's dense linear algebra on every backend: L Lᵀ = A (and L equal to
// ml-matrix's float64 factor), triangular and SPD solve residuals, the notPositiveDefinite /
// nonFinite / shape errors, no leaked tensors (also when an error is thrown).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { cholesky, choleskySolve, MetaLearnError, solve, spdInverse, triangularSolve } from '@metalearn/core';
import { createRng, maxAbs, maxAbsDiff, normals, randomSpd } from './linalg-fixtures.js';
import { onEveryBackend } from './helpers.js';

test('cholesky: L Lᵀ = A to float32 rounding, L lower with positive diagonal, equal to ml-matrix (float64) — batched [2, 3], n = 1, 5, 40', async (t) => {
  await onEveryBackend((backend) => {
    for (const n of [1, 5, 40]) {
      const rng = createRng(100 + n);
      const a64 = randomSpd(rng, 6, n);
      tf.tidy(() => {
        const a = tf.tensor(Float32Array.from(a64), [2, 3, n, n]);
        const l = cholesky(a);
        assert.deepEqual(l.shape, [2, 3, n, n]);
        const lv = l.dataSync();
        const llt = tf.matMul(l, l, false, true).dataSync();
        // Tolerance: float32 rounding of A and L (~6e-8 relative) summed over n terms: 2e-6·max|A|.
        const err = maxAbsDiff(llt, a.dataSync()) / maxAbs(a64);
        assert.ok(err < 2e-6, `${backend} n=${n}: max|L Lᵀ - A| / max|A| = ${err}`);
        t.diagnostic(`${backend} n=${n}: max|L Lᵀ - A| / max|A| = ${err.toExponential(2)} (tolerance 2e-6)`);
        for (let b = 0; b < 6; b++) {
          for (let i = 0; i < n; i++) {
            assert.ok(lv[b * n * n + i * n + i]! > 0, 'positive diagonal');
            for (let j = i + 1; j < n; j++) assert.equal(lv[b * n * n + i * n + j], 0, 'zero above the diagonal');
          }
          // ml-matrix on the float32-rounded A (symmetric bitwise, as ml-matrix requires).
          const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.fround(a64[b * n * n + i * n + j]!)));
          const ref = new CholeskyDecomposition(new Matrix(rows)).lowerTriangularMatrix.to1DArray();
          const mine = Array.from(lv.slice(b * n * n, (b + 1) * n * n));
          const d = maxAbsDiff(mine, ref) / maxAbs(ref);
          assert.ok(d < 1e-6, `${backend} n=${n} b=${b}: |L - L_ml-matrix| / max|L| = ${d}`);
          if (b === 0) t.diagnostic(`${backend} n=${n}: max|L - L_ml-matrix| / max|L| = ${d.toExponential(2)} (tolerance 1e-6)`);
        }
      });
    }
  });
});

test('cholesky of a known matrix: [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]] (upper triangle of A ignored)', async () => {
  await onEveryBackend(() => {
    tf.tidy(() => {
      const l = cholesky(tf.tensor2d([[4, 999], [2, 3]])).dataSync();
      assert.deepEqual(Array.from(l.slice(0, 3)), [2, 0, 1]);
      assert.ok(Math.abs(l[3]! - Math.SQRT2) < 1e-6);
    });
  });
});

test('choleskySolve and solve: residual max|A X - B| / (n max|A| max|X|) < 1e-7, batched, vector and matrix right-hand sides', async (t) => {
  await onEveryBackend((backend) => {
    for (const [batch, n, m] of [[1, 3, 1], [4, 25, 5], [2, 80, 3]] as const) {
      const rng = createRng(7 * n + m);
      const a64 = randomSpd(rng, batch, n, 0.1);
      const b64 = normals(rng, batch * n * m);
      tf.tidy(() => {
        const a = tf.tensor(Float32Array.from(a64), [batch, n, n]);
        const b = tf.tensor(Float32Array.from(b64), [batch, n, m]);
        const x = choleskySolve(a, b);
        assert.deepEqual(x.shape, [batch, n, m]);
        const res = maxAbs(tf.sub(tf.matMul(a, x), b).dataSync());
        const rel = res / (maxAbs(a64) * maxAbs(x.dataSync()) * n);
        // Backward-stable Cholesky in float64, then float32 rounding of X (6e-8 relative per entry).
        assert.ok(rel < 1e-7, `${backend} [${batch}, ${n}, ${m}]: relative residual ${rel}`);
        t.diagnostic(`${backend} [${batch}, ${n}, ${m}]: relative residual ${rel.toExponential(2)} (tolerance 1e-7)`);
        const xv = solve(a, tf.reshape(tf.slice(b, [0, 0, 0], [batch, n, 1]), [batch, n]));
        assert.deepEqual(xv.shape, [batch, n]);
        const first = tf.reshape(tf.slice(x, [0, 0, 0], [batch, n, 1]), [batch, n]);
        assert.ok(maxAbsDiff(xv.dataSync(), first.dataSync()) <= 1e-6 * maxAbs(first.dataSync()), 'vector rhs = first column');
      });
    }
    tf.tidy(() => {
      // A hand-checkable system: [[2, 1], [1, 2]] x = [3, 3] ⇒ x = [1, 1].
      const x = solve(tf.tensor2d([[2, 1], [1, 2]]), tf.tensor1d([3, 3])).dataSync();
      assert.ok(maxAbsDiff(x, [1, 1]) < 1e-6, `solve 2x2: ${x}`);
    });
  });
});

test('spdInverse: A A⁻¹ = I; triangularSolve in all four (lower, transpose) combinations matches op(T) X = B', async (t) => {
  await onEveryBackend((backend) => {
    const rng = createRng(5);
    const n = 12;
    const a64 = randomSpd(rng, 2, n);
    const b64 = normals(rng, 2 * n * 4);
    tf.tidy(() => {
      const a = tf.tensor(Float32Array.from(a64), [2, n, n]);
      const inv = spdInverse(a);
      const eyeErr = maxAbsDiff(tf.matMul(a, inv).dataSync(), tf.broadcastTo(tf.eye(n), [2, n, n]).dataSync());
      assert.ok(eyeErr < 2e-6, `${backend}: max|A A⁻¹ - I| = ${eyeErr}`);
      t.diagnostic(`${backend}: max|A A⁻¹ - I| = ${eyeErr.toExponential(2)} (tolerance 2e-6)`);
      const l = cholesky(a);
      const b = tf.tensor(Float32Array.from(b64), [2, n, 4]);
      for (const lower of [true, false]) {
        const tri = lower ? l : tf.transpose(l, [0, 2, 1]); // an upper factor U = Lᵀ
        // Fill the unread triangle with garbage: it must be ignored.
        const garbage = tf.mul(tf.ones([n, n]), 123);
        const mask = tf.tensor2d(Array.from({ length: n * n }, (_, k) => ((lower ? Math.floor(k / n) >= k % n : Math.floor(k / n) <= k % n) ? 1 : 0)), [n, n]);
        const dirty = tf.add(tri, tf.mul(tf.sub(1, mask), garbage));
        for (const transpose of [false, true]) {
          const x = triangularSolve(dirty, b, { lower, transpose });
          const opT = transpose ? tf.transpose(tri, [0, 2, 1]) : tri;
          const res = maxAbs(tf.sub(tf.matMul(opT, x), b).dataSync());
          assert.ok(res < 1e-6 * maxAbs(b64), `${backend} lower=${lower} transpose=${transpose}: residual ${res}`);
          t.diagnostic(`${backend} lower=${lower} transpose=${transpose}: max residual ${res.toExponential(2)} (tolerance ${(1e-6 * maxAbs(b64)).toExponential(2)})`);
        }
      }
    });
  });
});

test('notPositiveDefinite: cholesky and choleskySolve name the matrix and the pivot, leak nothing (also under tf.grad)', async () => {
  await onEveryBackend(() => {
    // [[1, 2], [2, 1]] has eigenvalues 3 and -1: the second pivot 1 - 2² = -3 fails.
    const bad = tf.tensor2d([[1, 2], [2, 1]]);
    assert.throws(() => cholesky(bad), (e: unknown) => MetaLearnError.is(e, 'notPositiveDefinite') && /^cholesky: A is not positive definite \(pivot k = 1 /.test(e.message));
    const batch = tf.tensor3d([[[2, 0], [0, 2]], [[1, 2], [2, 1]], [[1, 0], [0, 1]]]);
    assert.throws(() => cholesky(batch), (e: unknown) => MetaLearnError.is(e, 'notPositiveDefinite') && e.message.includes('A[1] is not positive definite (pivot k = 1'));
    const rhs = tf.ones([3, 2, 1]);
    assert.throws(() => choleskySolve(batch, rhs), (e: unknown) => MetaLearnError.is(e, 'notPositiveDefinite') && e.message.startsWith('choleskySolve: A[1]'));
    assert.throws(
      () => tf.grad((a: tf.Tensor) => tf.sum(choleskySolve(a as tf.Tensor3D, rhs as tf.Tensor3D)))(batch),
      (e: unknown) => MetaLearnError.is(e, 'notPositiveDefinite'),
    );
    // Semi-definite (zero pivot) is rejected too, rather than producing Inf/NaN.
    const singular = tf.tensor2d([[1, 1], [1, 1]]);
    assert.throws(() => cholesky(singular), (e: unknown) => MetaLearnError.is(e, 'notPositiveDefinite'));
    const nan = tf.tensor2d([[1, 0], [NaN, 1]]);
    assert.throws(() => cholesky(nan), (e: unknown) => MetaLearnError.is(e, 'nonFinite') && e.message.includes('(1, 0)'));
    tf.dispose([bad, batch, rhs, singular, nan]);
  });
});

test('shape and dtype validation name the function and the argument', async () => {
  await onEveryBackend(() => {
    const sq = tf.eye(3);
    const cases: Array<[() => unknown, string, RegExp]> = [
      [() => cholesky(tf.ones([2, 3])), 'shapeMismatch', /^cholesky: A must be square \[\.\.\., n, n\], got \[2, 3\]/],
      [() => cholesky(tf.ones([3])), 'shapeMismatch', /^cholesky: A must be a batch of matrices/],
      [() => cholesky(tf.eye(2, 2, undefined, 'int32')), 'invalidArgument', /^cholesky: A must be float32, got int32/],
      [() => choleskySolve(sq, tf.ones([4, 1])), 'shapeMismatch', /^choleskySolve: B must be \[3, m\] to match A \[3, 3\], got \[4, 1\]/],
      [() => choleskySolve(tf.broadcastTo(sq, [2, 3, 3]), tf.ones([3, 3, 1])), 'shapeMismatch', /^choleskySolve: B must be \[2, 3, m\]/],
      [() => solve(sq, tf.ones([2, 2, 3, 1])), 'shapeMismatch', /^solve: b must be/],
      [() => triangularSolve(tf.zeros([2, 2]), tf.ones([2, 1])), 'invalidArgument', /^triangularSolve: T is singular/],
    ];
    for (const [fn, kind, msg] of cases) {
      tf.tidy(() => {
        assert.throws(fn, (e: unknown) => MetaLearnError.is(e, kind as never) && msg.test(e.message), String(msg));
      });
    }
    sq.dispose();
  });
});
