import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, countParams, createRng, deriveSeed, createLinearHead, createMlp, disposeParams, initModel, applyModel, MetaLearnError, paramNames } from '@metalearn/core';

const backends = await availableBackends();

test('MAML sinusoid net: MLP 1-40-40 + linear head 40->1 has exactly 1761 parameters, named and shaped as documented', () => {
  // dense1: 1*40 + 40 = 80; dense2: 40*40 + 40 = 1640; head: 40*1 + 1 = 41; total 1761.
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [40, 40] });
  assert.equal(backbone.featureDim, 40);
  assert.deepEqual(backbone.inputShape, [1]);
  const theta = initModel(backbone, createLinearHead(), 7, 1);
  assert.equal(countParams(theta), 1761);
  assert.deepEqual(paramNames(theta), ['backbone/dense1/bias', 'backbone/dense1/kernel', 'backbone/dense2/bias', 'backbone/dense2/kernel', 'head/bias', 'head/weight']);
  assert.deepEqual(theta['backbone/dense2/kernel']!.shape, [40, 40]);
  assert.deepEqual(theta['head/weight']!.shape, [40, 1]);
  disposeParams(theta);
});

test('MLP init is MAML\'s: truncated normal std 0.01 (|w| <= 0.02, sample std ~ 0.01 * 0.8796), zero biases, bitwise deterministic in the seed', () => {
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [40, 40] });
  const a = backbone.init(3);
  const b = backbone.init(3);
  const c = backbone.init(4);
  for (const name of paramNames(a)) assert.deepEqual(a[name]!.dataSync(), b[name]!.dataSync(), name);
  assert.notDeepEqual(a['dense2/kernel']!.dataSync(), c['dense2/kernel']!.dataSync());
  const w = Array.from(a['dense2/kernel']!.dataSync());
  assert.ok(w.every((v) => Math.abs(v) <= 0.02 + 1e-9), 'truncated at 2 std');
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  // Truncation at 2 sigma shrinks the std by sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.8796.
  // 1600 draws: the sample std has relative s.e. ~ 1.8%; allow 6%.
  assert.ok(Math.abs(std / (0.01 * 0.8796) - 1) < 0.06, `std ${std}`);
  assert.ok(Math.abs(mean) < 0.001, `mean ${mean}`);
  assert.ok(a['dense1/bias']!.dataSync().every((v) => v === 0));
  for (const p of [a, b, c]) disposeParams(p);
});

test('init seeds differ for every small seed: deriveSeed(s, name) is distinct for s = 0..999 (regression: single-digit seeds once collided)', () => {
  const seen = new Set<number>();
  for (let s = 0; s < 1000; s++) seen.add(deriveSeed(s, 'dense1/kernel'));
  assert.equal(seen.size, 1000);
});

test('MLP forward equals the hand computation act(act(x W1 + b1) W2 + b2), on every backend', async () => {
  for (const backend of backends) {
    await tf.setBackend(backend);
    const backbone = createMlp({ inputDim: 2, hiddenSizes: [3, 2], activation: 'relu' });
    const W1 = [[1, -2, 0.5], [0.25, 1, -1]];
    const b1 = [0.1, 0.2, -0.3];
    const W2 = [[1, -1], [2, 0.5], [-1, 1]];
    const b2 = [0, -0.5];
    const x = [[1, 2], [-1, 0.5]];
    const relu = (v: number) => Math.max(v, 0);
    const expected = x.map((row) => {
      const h = b1.map((b, j) => relu(row[0]! * W1[0]![j]! + row[1]! * W1[1]![j]! + b));
      return b2.map((b, k) => relu(h.reduce((s, hj, j) => s + hj * W2[j]![k]!, b)));
    });
    const params = { 'dense1/kernel': tf.tensor2d(W1), 'dense1/bias': tf.tensor1d(b1), 'dense2/kernel': tf.tensor2d(W2), 'dense2/bias': tf.tensor1d(b2) };
    const xt = tf.tensor2d(x);
    const before = tf.memory().numTensors;
    const y = backbone.apply(params, xt, { training: true });
    assert.equal(tf.memory().numTensors, before + 1, 'only the output is left');
    const got = y.arraySync();
    for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) assert.ok(Math.abs(got[i]![k]! - expected[i]![k]!) < 1e-6, `${backend} [${i},${k}] ${got[i]![k]} vs ${expected[i]![k]}`);
    y.dispose();
    xt.dispose();
    disposeParams(params);
  }
});

test('MLP with contextDim concatenates the context ([C] repeated, or [B, C]) to the input; context without contextDim is unsupported', () => {
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [2], activation: 'linear', contextDim: 2 });
  const params = { 'dense1/kernel': tf.tensor2d([[1, 0], [10, 0], [0, 100]]), 'dense1/bias': tf.tensor1d([0, 0]) };
  const x = tf.tensor2d([[1], [2]]);
  const c1 = tf.tensor1d([3, 4]);
  assert.deepEqual(backbone.apply(params, x, { training: true, context: c1 }).arraySync(), [[31, 400], [32, 400]]);
  const c2 = tf.tensor2d([[1, 0], [0, 1]]);
  assert.deepEqual(backbone.apply(params, x, { training: true, context: c2 }).arraySync(), [[11, 0], [2, 100]]);
  assert.throws(() => backbone.apply(params, x, { training: true }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  const plain = createMlp({ inputDim: 1, hiddenSizes: [2] });
  assert.throws(() => plain.apply(plain.init(0), x, { training: true, context: c1 }), (e) => MetaLearnError.is(e, 'unsupported'));
});

test('MLP rejects a wrong input shape with shapeMismatch naming mlp.apply and x, and bad options with invalidArgument', () => {
  const backbone = createMlp({ inputDim: 3, hiddenSizes: [4] });
  const params = backbone.init(0);
  const x = tf.zeros([5, 2]);
  assert.throws(() => backbone.apply(params, x, { training: true }), (e) => MetaLearnError.is(e, 'shapeMismatch') && /mlp\.apply: x must be float32 \[B, 3\]/.test(e.message));
  assert.throws(() => createMlp({ inputDim: 0, hiddenSizes: [4] }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => createMlp({ inputDim: 1, hiddenSizes: [4, 2.5] }), (e) => MetaLearnError.is(e, 'invalidArgument') && /hiddenSizes\[1\]/.test(e.message));
  assert.throws(() => createMlp({ inputDim: 1, hiddenSizes: [4], activation: 'gelu' as never }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  x.dispose();
  disposeParams(params);
});

test('applyModel composes backbone and head: equals head.apply(backbone.apply(x)) and leaks nothing', () => {
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [5], activation: 'tanh' });
  const head = createLinearHead({ init: 'normal' });
  const theta = initModel(backbone, head, 11, 3);
  const x = tf.tensor2d([[0.5], [-1], [2]]);
  const before = tf.memory().numTensors;
  const y = applyModel(backbone, head, theta, x, { training: true });
  assert.equal(tf.memory().numTensors, before + 1);
  assert.deepEqual(y.shape, [3, 3]);
  const manual = tf.tidy(() => {
    const h = tf.tanh(tf.add(tf.matMul(x, theta['backbone/dense1/kernel'] as tf.Tensor2D), theta['backbone/dense1/bias']!));
    return tf.add(tf.matMul(h, theta['head/weight'] as tf.Tensor2D), theta['head/bias']!);
  });
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(y, manual))).dataSync()[0]!);
  assert.ok(d < 1e-6, `max diff ${d}`);
  // The seed is split: the backbone of initModel(seed) is backbone.init(deriveSeed(seed, 'backbone')), not backbone.init(seed).
  const direct = backbone.init(11);
  assert.notDeepEqual(direct['dense1/kernel']!.dataSync(), theta['backbone/dense1/kernel']!.dataSync());
  for (const t of [x, y, manual]) t.dispose();
  disposeParams(theta);
  disposeParams(direct);
});

test('MLP first and second derivatives agree with central finite differences for every smooth activation, on every backend', async (t) => {
  // L(p) = sum(features(p) * R); u, w random unit directions. First order g.u vs (L(p+hu) - L(p-hu))/2h;
  // second order w.(H u) vs (g(p+hu).w - g(p-hu).w)/2h; h = 1e-2, float32; pass when error <= 1e-3 + 1e-2 |value|.
  for (const backend of backends) {
    await t.test(backend, async (tb) => {
      await tf.setBackend(backend);
      for (const activation of ['tanh', 'elu', 'softplus', 'sigmoid'] as const) {
        const backbone = createMlp({ inputDim: 3, hiddenSizes: [5, 4], activation, weightStd: 0.7 });
        const p = backbone.init(2);
        const names = paramNames(p);
        const rng = createRng(5);
        const x = tf.tensor2d(Array.from({ length: 18 }, () => rng.uniform(-2, 2)), [6, 3]);
        const R = tf.tensor2d(Array.from({ length: 24 }, () => rng.normal()), [6, 4]);
        const loss = (...ts: tf.Tensor[]) => tf.sum(tf.mul(backbone.apply(Object.fromEntries(names.map((n, i) => [n, ts[i]!])), x, { training: true }), R)) as tf.Scalar;
        const unit = () => {
          const v = names.map((n) => Array.from({ length: p[n]!.size }, () => rng.normal()));
          const norm = Math.sqrt(v.flat().reduce((a, b) => a + b * b, 0));
          return names.map((n, i) => tf.tensor(v[i]!.map((e) => e / norm), p[n]!.shape));
        };
        const dot = (a: tf.Tensor[], b: tf.Tensor[]) => tf.tidy(() => a.reduce((acc, v, i) => acc + tf.sum(tf.mul(v, b[i]!)).dataSync()[0]!, 0));
        const moved = (dir: tf.Tensor[], step: number) => names.map((n, i) => tf.add(p[n]!, tf.mul(dir[i]!, step)));
        const start = tf.memory().numTensors;
        const [u, w] = [unit(), unit()];
        const h = 1e-2;
        const g1 = tf.tidy(() => dot(tf.grads(loss)(names.map((n) => p[n]!)), u));
        const fd1 = tf.tidy(() => (loss(...moved(u, h)).dataSync()[0]! - loss(...moved(u, -h)).dataSync()[0]!) / (2 * h));
        const hu = tf.tidy(() => dot(tf.grads((...ts: tf.Tensor[]) => tf.addN(tf.grads(loss)(ts).map((g, i) => tf.sum(tf.mul(g, u[i]!)))) as tf.Scalar)(names.map((n) => p[n]!)), w));
        const fd2 = tf.tidy(() => (dot(tf.grads(loss)(moved(u, h)), w) - dot(tf.grads(loss)(moved(u, -h)), w)) / (2 * h));
        tb.diagnostic(`${activation}: g.u ${g1.toExponential(4)} vs ${fd1.toExponential(4)}; w.Hu ${hu.toExponential(4)} vs ${fd2.toExponential(4)}`);
        assert.ok(Math.abs(g1 - fd1) <= 1e-3 + 1e-2 * Math.abs(fd1), `${backend} ${activation} first order ${g1} vs ${fd1}`);
        assert.ok(Math.abs(hu - fd2) <= 1e-3 + 1e-2 * Math.abs(fd2), `${backend} ${activation} second order ${hu} vs ${fd2}`);
        assert.ok(Math.abs(fd2) > 1e-2, `${activation}: the second-order term is not trivially zero (${fd2})`);
        tf.dispose([...u, ...w]);
        assert.equal(tf.memory().numTensors, start);
        tf.dispose([x, R]);
        disposeParams(p);
      }
    });
  }
});
