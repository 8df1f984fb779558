// conjugateGradientTasks (T systems at once, scalars on the device) and taskHvpOperator (the
// block-diagonal HVP of Σ_t L_t), as values, on cpu and wasm:
// - six 12x12 systems in one call — condition 50, 3 distinct eigenvalues (stops early at tol 1e-5
//   while the others go on), condition 1000, b = 0, A = -I (non-positive curvature at once: b),
//   and an indefinite diag(1, -0.5, ...) (positive curvature first, then negative: x_1) — give row
//   by row what the host-side conjugateGradient gives for that task alone (max |x - x_ref| <= 1e-5
//   max |x_ref|; measured ~1e-7), for tol 1e-5 and for tol 0 with 12 and 4 iterations; the
//   converged rows match float64 solves (ml-matrix) to 1e-4; exactly maxIters matvecs; memory
//   does not grow with the iterations;
// - taskHvpOperator on J(x) = Σ_t ½ x_tᵀA_t x_t + ¼ Σ x_t⁴ (H_t = A_t + 3 diag(x_t²), analytic):
//   exact rows within 1e-5; central differences (fdStep 1e-2) within 1e-4, forward within 5e-2
//   and worse than central (O(r) vs O(r²)); a zero row of v gives exactly 0;
// - bad arguments throw MetaLearnError naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix, solve as mlSolve } from 'ml-matrix';
import { createRng, MetaLearnError } from '@metalearn/core';
import { conjugateGradient, conjugateGradientTasks, taskHvpOperator } from '@metalearn/imaml';
import { onEveryBackend, relErr } from './helpers.js';

const N = 12;

/** `Q diag(eigs) Qᵀ` with `Q` orthogonal from a seeded Gaussian matrix (float64). */
function spd(seed: number, eigs: number[]): Matrix {
  const rng = createRng(seed);
  const g = new Matrix(Array.from({ length: eigs.length }, () => Array.from({ length: eigs.length }, () => rng.normal())));
  const q = new EigenvalueDecomposition(g.add(g.transpose())).eigenvectorMatrix;
  return q.mmul(Matrix.diag(eigs)).mmul(q.transpose());
}

function randomVector(seed: number, n: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

const linear = (lo: number, hi: number): number[] => Array.from({ length: N }, (_, i) => lo + ((hi - lo) * i) / (N - 1));
const systems: { name: string; a: Matrix; b: number[] }[] = [
  { name: 'condition 50', a: spd(1, linear(1, 50)), b: randomVector(2, N) },
  { name: '3 distinct eigenvalues', a: spd(3, Array.from({ length: N }, (_, i) => [1, 4, 10][i % 3]!)), b: randomVector(4, N) },
  { name: 'condition 1000', a: spd(5, linear(0.05, 50)), b: randomVector(6, N) },
  { name: 'b = 0', a: spd(7, linear(1, 5)), b: Array.from({ length: N }, () => 0) },
  { name: 'A = -I', a: Matrix.eye(N).mul(-1), b: randomVector(8, N) },
  { name: 'indefinite', a: Matrix.diag([1, -0.5, ...Array.from({ length: N - 2 }, () => 1)]), b: [1, 0.1, ...Array.from({ length: N - 2 }, () => 0)] },
];

test('conjugateGradientTasks: every row equals conjugateGradient on that task alone (tolerance stops, b = 0, non-positive curvature) (cpu, wasm)', async (t) => {
  await onEveryBackend((backend) => {
    const T = systems.length;
    const stackA = tf.tensor3d(systems.map((s) => s.a.to2DArray()));
    const counter = { calls: 0 };
    const matvec = (v: tf.Tensor): tf.Tensor => {
      counter.calls++;
      return tf.reshape(tf.matMul(stackA, tf.reshape(v, [T, N, 1])), [T, N]);
    };
    const b = tf.tensor2d(systems.map((s) => s.b));
    let worst = 0;
    for (const [maxIters, tol] of [[N, 1e-5], [N, 0], [4, 0]] as const) {
      counter.calls = 0;
      const before = tf.memory().numTensors;
      const x = conjugateGradientTasks(matvec, b, { maxIters, tol });
      assert.equal(tf.memory().numTensors, before + 1, 'only x survives');
      assert.equal(counter.calls, maxIters, 'one matvec per iteration for all tasks');
      const rows = x.arraySync() as number[][];
      x.dispose();
      systems.forEach((s, i) => {
        const ref = tf.tidy(() => {
          const a = tf.tensor2d(s.a.to2DArray());
          return Array.from(conjugateGradient((v) => tf.reshape(tf.matMul(a, tf.reshape(v, [N, 1])), [N]), tf.tensor1d(s.b), { maxIters, tol }).dataSync());
        });
        const scale = Math.max(...ref.map(Math.abs));
        const err = Math.max(...ref.map((r, j) => Math.abs(rows[i]![j]! - r)));
        assert.ok(err <= 1e-5 * Math.max(scale, 1e-6), `${backend} ${s.name} (K ${maxIters}, tol ${tol}): row vs per-task CG: ${err} (scale ${scale})`);
        worst = Math.max(worst, scale > 0 ? err / scale : err);
        if (s.name === 'b = 0') assert.deepEqual(rows[i], ref, 'b = 0 gives 0');
        if (s.name === 'A = -I') assert.deepEqual(rows[i], Array.from(Float32Array.from(s.b)), 'A = -I gives b');
        if (s.name === 'indefinite') {
          const alpha = (1 + 0.01) / (1 - 0.5 * 0.01);
          assert.ok(relErr(rows[i]!.slice(0, 2), [alpha, 0.1 * alpha]) < 1e-6, `${backend}: indefinite row stops at x_1: ${rows[i]!.slice(0, 2)}`);
        }
        if (maxIters === N && (s.name === 'condition 50' || s.name === '3 distinct eigenvalues')) {
          const exact = mlSolve(s.a, Matrix.columnVector(s.b)).to1DArray();
          assert.ok(relErr(rows[i]!, exact) < 1e-4, `${backend} ${s.name}: against the float64 solve ${relErr(rows[i]!, exact)}`);
        }
      });
    }
    t.diagnostic(`${backend}: worst row error / scale against the per-task conjugateGradient ${worst.toExponential(2)}`);
    tf.dispose([stackA, b]);
  });
});

test('conjugateGradientTasks: memory does not grow with the iterations (cpu, wasm)', async () => {
  await onEveryBackend(() => {
    const d = tf.tensor2d([[2, 4, 1], [1, 3, 5]]);
    const b = tf.tensor2d([[2, 4, 1], [1, 6, 5]]);
    let peak = 0;
    const start = tf.memory().numTensors;
    const x = conjugateGradientTasks((v) => {
      peak = Math.max(peak, tf.memory().numTensors - start);
      return tf.mul(d, v);
    }, b, { maxIters: 40, tol: 0 });
    const early = peak;
    peak = 0;
    conjugateGradientTasks((v) => {
      peak = Math.max(peak, tf.memory().numTensors - start);
      return tf.mul(d, v);
    }, b, { maxIters: 4, tol: 0 }).dispose();
    assert.ok(early <= peak + 2, `live tensors at 40 iterations (${early}) as at 4 (${peak})`);
    assert.ok(relErr(Array.from(x.dataSync()), [1, 1, 1, 1, 2, 1]) < 1e-6, `diagonal systems: ${x.dataSync()}`);
    tf.dispose([x, d, b]);
  });
});

test('taskHvpOperator: row t is H_t v_t, exact and by finite differences (central O(r²), forward O(r)); zero rows give 0 (cpu, wasm)', async (t) => {
  const T = 3;
  const n = 6;
  const as = [0, 1, 2].map((i) => spd(20 + i, linear(0.5, 4).slice(0, n)));
  const xs = [0, 1, 2].map((i) => randomVector(30 + i, n));
  const vs = [randomVector(40, n), randomVector(41, n), Array.from({ length: n }, () => 0)];
  // H_t v_t = A_t v_t + 3 x_t² ⊙ v_t
  const expected = [0, 1, 2].map((i) => as[i]!.mmul(Matrix.columnVector(vs[i]!)).to1DArray().map((av, j) => av + 3 * xs[i]![j]! ** 2 * vs[i]![j]!));
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const a = tf.tensor3d(as.map((m) => m.to2DArray()));
      const loss = (x: tf.Tensor): tf.Scalar => {
        const quad = tf.sum(tf.mul(x, tf.reshape(tf.matMul(a, tf.reshape(x, [T, n, 1])), [T, n])));
        return tf.add(tf.mul(quad, 0.5), tf.mul(tf.sum(tf.pow(x, 4)), 0.25)) as tf.Scalar;
      };
      const x = tf.tensor2d(xs);
      const v = tf.tensor2d(vs);
      const rowsErr = (hv: tf.Tensor): number => {
        const got = hv.arraySync() as number[][];
        assert.deepEqual(got[2], [0, 0, 0, 0, 0, 0], 'zero row of v gives exactly 0');
        return Math.max(relErr(got[0]!, expected[0]!), relErr(got[1]!, expected[1]!));
      };
      const exact = rowsErr(taskHvpOperator(loss, x, { mode: 'exact' })(v));
      const central = rowsErr(taskHvpOperator(loss, x, { mode: 'finiteDifference', fdScheme: 'central', fdStep: 1e-2 })(v));
      const forward = rowsErr(taskHvpOperator(loss, x, { mode: 'finiteDifference', fdScheme: 'forward', fdStep: 1e-2 })(v));
      t.diagnostic(`${backend}: rel. error exact ${exact.toExponential(2)}, central ${central.toExponential(2)}, forward ${forward.toExponential(2)}`);
      assert.ok(exact < 1e-5, `${backend}: exact ${exact}`);
      assert.ok(central < 1e-4, `${backend}: central ${central}`);
      assert.ok(forward < 5e-2 && forward > 3 * central, `${backend}: forward ${forward} is O(r), worse than central ${central}`);
    });
  });
});

test('conjugateGradientTasks and taskHvpOperator: bad arguments throw MetaLearnError naming them', () => {
  tf.tidy(() => {
    const b = tf.tensor2d([[1, 2]]);
    const id = (v: tf.Tensor) => tf.clone(v);
    const loss = (x: tf.Tensor) => tf.sum(tf.square(x)) as tf.Scalar;
    const cases: Array<[() => unknown, string, RegExp]> = [
      [() => conjugateGradientTasks(id, tf.tensor1d([1, 2]), { maxIters: 2 }), 'invalidArgument', /^conjugateGradientTasks: b must be float32 \[T, P\], got float32 \[2\]/],
      [() => conjugateGradientTasks(id, b, { maxIters: -1 }), 'invalidArgument', /^conjugateGradientTasks: options\.maxIters must be an integer >= 0, got -1/],
      [() => conjugateGradientTasks(id, b, { maxIters: 2, tol: Number.NaN }), 'invalidArgument', /^conjugateGradientTasks: options\.tol/],
      [() => conjugateGradientTasks(() => tf.zeros([1, 3]), b, { maxIters: 2 }), 'shapeMismatch', /matvec must return a tensor of shape \[1, 2\].*got \[1, 3\]/],
      [() => taskHvpOperator(loss, tf.tensor1d([1, 2]), { mode: 'exact' }), 'invalidArgument', /^taskHvpOperator: x must be a float32 \[T, P\] tensor/],
      [() => taskHvpOperator(loss, b, { mode: 'finiteDifference', fdStep: 0 }), 'invalidArgument', /^taskHvpOperator: options\.fdStep must be a finite number > 0, got 0/],
      [() => taskHvpOperator(loss, b, { mode: 'nope' as 'exact' }), 'invalidArgument', /^taskHvpOperator: options\.mode/],
    ];
    for (const [f, kind, pattern] of cases) {
      assert.throws(f, (e) => MetaLearnError.is(e, kind as 'invalidArgument') && pattern.test(e.message), String(pattern));
    }
  });
});
