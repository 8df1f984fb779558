// hessianVectorProduct on every backend: exact mode against analytic Hessians (a quadratic, a
// tanh model over a Params map), finite-difference mode within its O(r) (forward) / O(r²)
// (central) error — measured by halving r —, zero rows for unused parameters, v treated as a
// constant, argument validation, no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { hessianVectorProduct, MetaLearnError, type Params } from '@metalearn/core';
import { createRng, maxAbs, maxAbsDiff, normals, randomSpd } from './linalg-fixtures.js';
import { onEveryBackend } from './helpers.js';

/** f(x) = ½ xᵀ A x + bᵀ x on x: [n, 1]; its Hessian is A. */
function quadratic(a: tf.Tensor2D, b: tf.Tensor2D) {
  return (x: tf.Tensor): tf.Scalar => tf.add(tf.mul(0.5, tf.sum(tf.mul(x, tf.matMul(a, x as tf.Tensor2D)))), tf.sum(tf.mul(b, x))) as tf.Scalar;
}

test('exact and finite-difference H v of a quadratic equal A v (single tensor, n = 8)', async (t) => {
  await onEveryBackend((backend) => {
    const n = 8;
    const rng = createRng(31);
    tf.tidy(() => {
      const a = tf.tensor2d(Float32Array.from(randomSpd(rng, 1, n)), [n, n]);
      const f = quadratic(a, tf.tensor2d(Float32Array.from(normals(rng, n)), [n, 1]));
      const x = tf.tensor2d(Float32Array.from(normals(rng, n)), [n, 1]);
      const v = tf.tensor2d(Float32Array.from(normals(rng, n)), [n, 1]);
      const av = tf.matMul(a, v).dataSync();
      const exact = hessianVectorProduct(f, x, v);
      assert.deepEqual(exact.shape, [n, 1]);
      const eExact = maxAbsDiff(exact.dataSync(), av) / maxAbs(av);
      // A quadratic has a constant Hessian: forward differences are exact up to float32 rounding,
      // ~1.2e-7 |∇f| / (r ||v||) = 1.2e-5 relative at the default r = 1e-2 / ||v||.
      const fdv = hessianVectorProduct(f, x, v, { mode: 'finiteDifference' }).dataSync();
      const eFd = maxAbsDiff(fdv, av) / maxAbs(av);
      t.diagnostic(`${backend}: exact ${eExact.toExponential(2)} (tolerance 1e-6), finiteDifference ${eFd.toExponential(2)} (tolerance 2e-4)`);
      assert.ok(eExact < 1e-6, `${backend} exact: ${eExact}`);
      assert.ok(eFd < 2e-4, `${backend} FD: ${eFd}`);
    });
  });
});

/**
 * A tanh model over a Params map: z = W_a a + W_b vec(b) (K = 5 outputs), f = Σ_k c_k tanh(z_k).
 * Hessian: Jᵀ diag(c ⊙ tanh''(z)) J with J = [W_a, W_b], tanh'' = -2 tanh (1 - tanh²).
 */
function tanhModel(rng: ReturnType<typeof createRng>) {
  const k = 5;
  const wa = normals(rng, k * 3).map((x) => 0.5 * x);
  const wb = normals(rng, k * 4).map((x) => 0.5 * x);
  const c = normals(rng, k);
  const f = (p: Params): tf.Scalar => {
    const z = tf.add(tf.matMul(tf.tensor2d(Float32Array.from(wa), [k, 3]), tf.reshape(p['a']!, [3, 1])), tf.matMul(tf.tensor2d(Float32Array.from(wb), [k, 4]), tf.reshape(p['b']!, [4, 1])));
    return tf.sum(tf.mul(tf.tensor2d(Float32Array.from(c), [k, 1]), tf.tanh(z)));
  };
  const analyticHv = (a: ArrayLike<number>, b: ArrayLike<number>, va: ArrayLike<number>, vb: ArrayLike<number>): number[] => {
    const out = new Array<number>(7).fill(0);
    for (let i = 0; i < k; i++) {
      let z = 0;
      let jv = 0;
      for (let j = 0; j < 3; j++) {
        z += wa[i * 3 + j]! * a[j]!;
        jv += wa[i * 3 + j]! * va[j]!;
      }
      for (let j = 0; j < 4; j++) {
        z += wb[i * 4 + j]! * b[j]!;
        jv += wb[i * 4 + j]! * vb[j]!;
      }
      const th = Math.tanh(z);
      const s = c[i]! * -2 * th * (1 - th * th) * jv;
      for (let j = 0; j < 3; j++) out[j]! += wa[i * 3 + j]! * s;
      for (let j = 0; j < 4; j++) out[3 + j]! += wb[i * 4 + j]! * s;
    }
    return out; // [H v]_a (3 entries) then [H v]_b (4 entries, row-major [2, 2])
  };
  return { f, analyticHv };
}

test('Params map: exact H v of a tanh model equals the analytic Jᵀ diag(c tanh″) J v; unused parameters get zeros', async (t) => {
  await onEveryBackend((backend) => {
    const rng = createRng(32);
    const { f, analyticHv } = tanhModel(rng);
    const [a, b, va, vb] = [normals(rng, 3), normals(rng, 4), normals(rng, 3), normals(rng, 4)];
    tf.tidy(() => {
      const x: Params = { a: tf.tensor1d(Float32Array.from(a)), b: tf.tensor2d(Float32Array.from(b), [2, 2]), unused: tf.ones([2]) };
      const v: Params = { a: tf.tensor1d(Float32Array.from(va)), b: tf.tensor2d(Float32Array.from(vb), [2, 2]), unused: tf.ones([2]) };
      const hv = hessianVectorProduct(f, x, v);
      assert.deepEqual(Object.keys(hv).sort(), ['a', 'b', 'unused']);
      assert.deepEqual(hv['b']!.shape, [2, 2]);
      assert.deepEqual(Array.from(hv['unused']!.dataSync()), [0, 0]);
      const got = [...hv['a']!.dataSync(), ...hv['b']!.dataSync()];
      const want = analyticHv(a, b, va, vb);
      const err = maxAbsDiff(got, want) / maxAbs(want);
      t.diagnostic(`${backend}: exact H v vs analytic: ${err.toExponential(2)} (tolerance 1e-5)`);
      assert.ok(err < 1e-5, `${backend}: ${err}`);
      assert.ok(maxAbs(want) > 0.1, 'a non-trivial Hessian');
    });
  });
});

test('finite differences on the tanh model: forward error is O(r) (halving r halves it), central is O(r²) (quarters it), default r within bound', async (t) => {
  await onEveryBackend((backend) => {
    const rng = createRng(33);
    const { f, analyticHv } = tanhModel(rng);
    const [a, b, va, vb] = [normals(rng, 3), normals(rng, 4), normals(rng, 3), normals(rng, 4)];
    const vNorm = Math.hypot(...va, ...vb);
    const want = analyticHv(a, b, va, vb);
    tf.tidy(() => {
      const x: Params = { a: tf.tensor1d(Float32Array.from(a)), b: tf.tensor2d(Float32Array.from(b), [2, 2]) };
      const v: Params = { a: tf.tensor1d(Float32Array.from(va)), b: tf.tensor2d(Float32Array.from(vb), [2, 2]) };
      const error = (options: { r?: number; scheme?: 'forward' | 'central' }): number => {
        const hv = hessianVectorProduct(f, x, v, { mode: 'finiteDifference', ...options });
        return maxAbsDiff([...hv['a']!.dataSync(), ...hv['b']!.dataSync()], want) / maxAbs(want);
      };
      // Steps where truncation (~1e-3) dominates float32 rounding (~1.2e-7 / 0.025 = 5e-6): the
      // probe moves x by 0.05 and 0.025.
      const [f1, f2] = [error({ r: 0.05 / vNorm }), error({ r: 0.025 / vNorm })];
      const [c1, c2] = [error({ r: 0.05 / vNorm, scheme: 'central' }), error({ r: 0.025 / vNorm, scheme: 'central' })];
      const fDefault = error({});
      t.diagnostic(`${backend}: forward ${f1.toExponential(2)} → ${f2.toExponential(2)} (ratio ${(f1 / f2).toFixed(2)}, expected ~2); central ${c1.toExponential(2)} → ${c2.toExponential(2)} (ratio ${(c1 / c2).toFixed(2)}, expected ~4); default r: ${fDefault.toExponential(2)} (bound ${(0.44 * f2 + 1e-4).toExponential(2)})`);
      assert.ok(f1 / f2 > 1.7 && f1 / f2 < 2.3, `${backend}: forward ratio ${f1 / f2}`);
      assert.ok(c1 / c2 > 3.4 && c1 / c2 < 4.6, `${backend}: central ratio ${c1 / c2}`);
      // At the default r (probe length 1e-2) the O(r) error is 0.4x the error at probe length
      // 0.025, plus float32 rounding (~1.2e-7 / 1e-2 ≈ 1e-5; allowance 1e-4).
      assert.ok(fDefault < 0.4 * 1.1 * f2 + 1e-4, `${backend}: default-r error ${fDefault} exceeds the O(r) bound ${0.4 * 1.1 * f2 + 1e-4}`);
    });
  });
});

test('exact and central finite-difference H v agree on a small MLP regression loss over Params (the iMAML use)', async (t) => {
  await onEveryBackend((backend) => {
    const rng = createRng(34);
    tf.tidy(() => {
      const xs = tf.tensor2d(Float32Array.from(normals(rng, 10 * 3)), [10, 3]);
      const ys = tf.tensor2d(Float32Array.from(normals(rng, 10)), [10, 1]);
      const loss = (p: Params): tf.Scalar =>
        tf.mean(tf.square(tf.sub(tf.matMul(tf.tanh(tf.add(tf.matMul(xs, p['w1'] as tf.Tensor2D), p['b1']!)), p['w2'] as tf.Tensor2D), ys)));
      const mk = (s: number[]): tf.Tensor => tf.tensor(Float32Array.from(normals(rng, s.reduce((x, y) => x * y, 1))).map((x) => 0.5 * x), s);
      const theta: Params = { w1: mk([3, 4]), b1: mk([4]), w2: mk([4, 1]) };
      const v: Params = { w1: mk([3, 4]), b1: mk([4]), w2: mk([4, 1]) };
      const exact = hessianVectorProduct(loss, theta, v);
      const fd = hessianVectorProduct(loss, theta, v, { mode: 'finiteDifference', scheme: 'central' });
      const flat = (p: Params): number[] => ['b1', 'w1', 'w2'].flatMap((k) => Array.from(p[k]!.dataSync()));
      const err = maxAbsDiff(flat(exact), flat(fd)) / maxAbs(flat(exact));
      t.diagnostic(`${backend}: |exact - central FD| / max|exact| = ${err.toExponential(2)} (tolerance 5e-4)`);
      assert.ok(err < 5e-4, `${backend}: ${err}`);
    });
  });
});

test('v is a constant: for f = Σ x³/6 (H = diag(x)), d/dx <H v, w> with v = x is x ⊙ w, not 2 x ⊙ w; linear f and v = 0 give zeros', async () => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const x0 = tf.tensor1d([0.5, -1, 2]);
      const w = tf.tensor1d([1, 2, 3]);
      const cubic = (x: tf.Tensor): tf.Scalar => tf.div(tf.sum(tf.pow(x, 3)), 6);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(hessianVectorProduct(cubic, x, x), w)))(x0).dataSync();
      assert.ok(maxAbsDiff(g, [0.5, -2, 6]) < 1e-5, `${backend}: ${Array.from(g)}`);
      const linear = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(x, w));
      assert.deepEqual(Array.from(hessianVectorProduct(linear, x0, w).dataSync()), [0, 0, 0]);
      assert.deepEqual(Array.from(hessianVectorProduct(cubic, x0, tf.zeros([3]), { mode: 'finiteDifference' }).dataSync()), [0, 0, 0]);
    });
  });
});

test('validation: mismatched names or shapes, bad mode / scheme / r, non-scalar f', async () => {
  await onEveryBackend(() => {
    tf.tidy(() => {
      const f = (p: Params): tf.Scalar => tf.sum(tf.square(p['a']!));
      const x: Params = { a: tf.ones([2]) };
      const is = (kind: 'shapeMismatch' | 'invalidArgument', re: RegExp) => (e: unknown) => MetaLearnError.is(e, kind) && re.test(e.message);
      assert.throws(() => hessianVectorProduct(f, x, { b: tf.ones([2]) }), is('shapeMismatch', /^hessianVectorProduct: v must have the names of x \(a\), got \(b\)/));
      assert.throws(() => hessianVectorProduct(f, x, { a: tf.ones([3]) }), is('shapeMismatch', /v\['a'\] must be \[2\] like x, got \[3\]/));
      assert.throws(() => hessianVectorProduct(f, x, x, { mode: 'second' as never }), is('invalidArgument', /options.mode must be 'exact' or 'finiteDifference'/));
      assert.throws(() => hessianVectorProduct(f, x, x, { mode: 'finiteDifference', r: 0 }), is('invalidArgument', /options.r must be a positive finite number, got 0/));
      assert.throws(() => hessianVectorProduct(f, x, x, { scheme: 'backward' as never }), is('invalidArgument', /options.scheme/));
      assert.throws(() => hessianVectorProduct((p: Params) => tf.square(p['a']!) as unknown as tf.Scalar, x, x), is('invalidArgument', /f must return a scalar tf.Tensor, got shape \[2\]/));
      assert.throws(() => hessianVectorProduct((z: tf.Tensor) => tf.sum(z), tf.ones([2]), x as never), is('invalidArgument', /v must be a tf.Tensor when x is one/));
    });
  });
});
