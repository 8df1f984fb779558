// Conv-4's FiLM context hook (CAVIA's convolutional network; Zintgraf et al. 2019, sec. 5.2):
// parameter names, shapes and initial values; a zero context at initialisation leaves the network
// bitwise as without FiLM; with a linear activation and FiLM on the last block the features are
// exactly gamma * plain + beta with [gamma, beta] = c W + b computed in float64 (context [C] and
// [B, C]); the gradient with respect to the context and the FiLM kernel agrees with central
// finite differences; bad contexts and options are refused with errors that name them. Every
// numeric property runs on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  availableBackends, conv4BackbonePlugin, createConv4, createRng, disposeParams, MetaLearnError, paramNames, type Params,
} from '@metalearn/core';

const backends = await availableBackends();

/** Random values in [-0.5, 0.5) for every tensor of `params` (scale entries in [0.5, 1.5)), from a seed; disposes `params`. */
function randomize(params: Params, seed: number): Record<string, tf.Tensor> {
  const rng = createRng(seed);
  const out: Record<string, tf.Tensor> = {};
  for (const n of paramNames(params)) {
    const t = params[n]!;
    out[n] = tf.tensor(Array.from({ length: t.size }, () => (n.endsWith('scale') ? rng.uniform(0.5, 1.5) : rng.uniform(-0.5, 0.5))), t.shape, 'float32');
  }
  disposeParams(params);
  return out;
}

function images(seed: number, b: number, side: number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(Array.from({ length: b * side * side }, () => rng.normal()), [b, side, side, 1]);
}

test('Conv-4 with contextDim: film/kernel [C, 2F] (Glorot) and film/bias [2F] = [ones(F), zeros(F)]; the other parameters are those of Conv-4 without FiLM, bitwise', () => {
  const plain = createConv4({ inputShape: [8, 8, 1], filters: 4 });
  const withFilm = createConv4({ inputShape: [8, 8, 1], filters: 4, contextDim: 3 });
  const p = plain.init(5);
  const q = withFilm.init(5);
  assert.deepEqual(paramNames(q), [...paramNames(p), 'film/bias', 'film/kernel'].sort());
  for (const n of paramNames(p)) assert.deepEqual(Array.from(q[n]!.dataSync()), Array.from(p[n]!.dataSync()), n);
  assert.deepEqual(q['film/kernel']!.shape, [3, 8]);
  assert.deepEqual(Array.from(q['film/bias']!.dataSync()), [1, 1, 1, 1, 0, 0, 0, 0]);
  const bound = Math.sqrt(6 / (3 + 8));
  const k = Array.from(q['film/kernel']!.dataSync());
  assert.ok(k.every((v) => Math.abs(v) <= bound) && k.some((v) => v !== 0), 'Glorot uniform kernel within its bound');
  assert.equal(withFilm.featureDim, plain.featureDim);
  disposeParams(p);
  disposeParams(q);
});

test('FiLM values: a zero context at initialisation is the identity (bitwise); with a linear activation and FiLM on the last block, features = gamma * plain + beta exactly (float64 reference), for context [C] and [B, C]; on every backend', async (t) => {
  for (const backend of backends) {
    await t.test(backend, async () => {
      await tf.setBackend(backend);
      const start = tf.memory().numTensors;
      for (const variant of ['strided', 'maxpool'] as const) {
        // Identity at initialisation with a zero context, FiLM in block 3 of 4 (CAVIA's default).
        const side = variant === 'strided' ? 9 : 16;
        const plain = createConv4({ inputShape: [side, side, 1], filters: 3, variant, pooling: 'mean' });
        const withFilm = createConv4({ inputShape: [side, side, 1], filters: 3, variant, pooling: 'mean', contextDim: 2 });
        const p = plain.init(1);
        const q = withFilm.init(1);
        const x = images(2, 3, side);
        tf.tidy(() => {
          const a = Array.from(plain.apply(p, x, { training: true }).dataSync());
          const b = Array.from(withFilm.apply(q, x, { training: true, context: tf.zeros([2]) }).dataSync());
          assert.deepEqual(b, a, `${variant}: zero context, initial FiLM weights: bitwise the plain network`);
          const c = Array.from(withFilm.apply(q, x, { training: true, context: tf.tensor1d([0.3, -0.2]) }).dataSync());
          assert.ok(c.some((v, i) => v !== a[i]), `${variant}: a non-zero context changes the features`);
        });
        disposeParams(p);
        disposeParams(q);
        x.dispose();
      }
      // Exact check: FiLM on the last block, linear activation, spatial mean.
      const F = 4;
      const C = 3;
      const B = 2;
      const plain = createConv4({ inputShape: [6, 6, 1], filters: F, blocks: 2, activation: 'linear', pooling: 'mean' });
      const withFilm = createConv4({ inputShape: [6, 6, 1], filters: F, blocks: 2, activation: 'linear', pooling: 'mean', contextDim: C, filmBlock: 2 });
      const q = randomize(withFilm.init(3), 4);
      const p: Params = Object.fromEntries(paramNames(q).filter((n) => !n.startsWith('film/')).map((n) => [n, q[n]!]));
      const x = images(5, B, 6);
      const W = Array.from(q['film/kernel']!.dataSync());
      const bias = Array.from(q['film/bias']!.dataSync());
      const base = tf.tidy(() => Array.from(plain.apply(p, x, { training: true }).dataSync()));
      let worst = 0;
      for (const contexts of [[[0.7, -1.1, 0.4]], [[0.7, -1.1, 0.4], [-0.5, 0.25, 1.5]]]) {
        const ctx = contexts.length === 1 ? tf.tensor1d(contexts[0]!) : tf.tensor2d(contexts);
        const got = tf.tidy(() => Array.from(withFilm.apply(q, x, { training: true, context: ctx }).dataSync()));
        for (let b = 0; b < B; b++) {
          const c = contexts[Math.min(b, contexts.length - 1)]!;
          for (let f = 0; f < F; f++) {
            const gb = (j: number) => bias[j]! + c.reduce((s, cv, i) => s + cv * W[i * 2 * F + j]!, 0);
            const expected = gb(f) * base[b * F + f]! + gb(F + f);
            worst = Math.max(worst, Math.abs(got[b * F + f]! - expected));
          }
        }
        ctx.dispose();
      }
      assert.ok(worst < 1e-5, `features = gamma * plain + beta to float32 rounding: max error ${worst}`);
      t.diagnostic(`${backend}: max |FiLM - float64 reference| = ${worst.toExponential(2)} (tolerance 1e-5)`);
      disposeParams(q);
      x.dispose();
      assert.equal(tf.memory().numTensors, start, 'no tensor left');
    });
  }
});

test('FiLM gradients (tanh, batch norm, FiLM in block 2 of 3) w.r.t. the context and film/kernel agree with central finite differences, on every backend', async (t) => {
  for (const backend of backends) {
    await t.test(backend, async () => {
      await tf.setBackend(backend);
      const net = createConv4({ inputShape: [8, 8, 1], filters: 3, blocks: 3, activation: 'tanh', contextDim: 2, filmBlock: 2 });
      const params = randomize(net.init(7), 8);
      const x = images(9, 3, 8);
      const target = tf.tensor2d(Array.from({ length: 9 }, (_, i) => Math.sin(i)), [3, 3]);
      const loss = (kernel: tf.Tensor, context: tf.Tensor): tf.Scalar =>
        tf.tidy(() => tf.sum(tf.square(tf.sub(net.apply({ ...params, 'film/kernel': kernel }, x, { training: true, context }), target))) as tf.Scalar);
      const context = tf.tensor1d([0.4, -0.6]);
      const kernel = params['film/kernel']!;
      const [gk, gc] = tf.grads((k: tf.Tensor, c: tf.Tensor) => loss(k, c))([kernel, context]);
      const h = 1e-2;
      const rng = createRng(10);
      const checks: string[] = [];
      for (const [name, point, grad] of [['context', context, gc!], ['film/kernel', kernel, gk!]] as const) {
        const u = tf.tidy(() => {
          const r = tf.tensor(Array.from({ length: point.size }, () => rng.normal()), point.shape);
          return tf.div(r, tf.norm(r));
        });
        const at = (s: number): number => tf.tidy(() => {
          const moved = tf.add(point, tf.mul(u, s * h));
          return (name === 'context' ? loss(kernel, moved) : loss(moved, context)).dataSync()[0]!;
        });
        const numeric = (at(1) - at(-1)) / (2 * h);
        const analytic = tf.tidy(() => tf.sum(tf.mul(grad, u)).dataSync()[0]!);
        const err = Math.abs(numeric - analytic);
        const tol = 1e-3 + 1e-2 * Math.abs(numeric);
        checks.push(`${name}: analytic ${analytic.toExponential(5)}, FD ${numeric.toExponential(5)}, error ${err.toExponential(2)} (tolerance ${tol.toExponential(2)})`);
        assert.ok(err <= tol, checks.at(-1));
        assert.ok(Math.abs(analytic) > 1e-3, `${name}: the gradient is not trivially zero`);
        u.dispose();
      }
      for (const c of checks) t.diagnostic(`${backend} ${c}`);
      tf.dispose([gk!, gc!, context, x, target]);
      disposeParams(params);
    });
  }
});

test('FiLM refusals: missing or misshapen context, context on a Conv-4 without contextDim, filmBlock outside [1, blocks] or without contextDim; the plugin takes contextDim and filmBlock', () => {
  const net = createConv4({ inputShape: [8, 8, 1], filters: 2, contextDim: 3 });
  const p = net.init(0);
  const x = tf.zeros([2, 8, 8, 1]);
  assert.throws(() => net.apply(p, x, { training: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /ctx\.context must be float32 \[3\] or \[B, 3\].*got nothing/.test(e.message));
  for (const bad of [tf.zeros([2]), tf.zeros([3, 3]), tf.zeros([1, 3]), tf.zeros([3], 'int32')]) {
    assert.throws(() => net.apply(p, x, { training: true, context: bad }), (e) => MetaLearnError.is(e, 'shapeMismatch') && /conv4\.apply: ctx\.context must be float32 \[3\] or \[2, 3\]/.test(e.message), `context [${bad.shape}] ${bad.dtype}`);
    bad.dispose();
  }
  const plain = createConv4({ inputShape: [8, 8, 1], filters: 2 });
  const pp = plain.init(0);
  assert.throws(() => plain.apply(pp, x, { training: true, context: tf.zeros([3]) }), (e) => MetaLearnError.is(e, 'unsupported') && /contextDim = 0/.test(e.message));
  assert.throws(() => createConv4({ inputShape: [8, 8, 1], contextDim: 3, filmBlock: 5 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.filmBlock must be an integer in \[1, 4\].*got 5/.test(e.message));
  assert.throws(() => createConv4({ inputShape: [8, 8, 1], contextDim: 3, filmBlock: 0 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.filmBlock/.test(e.message));
  assert.throws(() => createConv4({ inputShape: [8, 8, 1], filmBlock: 2 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /filmBlock = 2 needs options\.contextDim > 0/.test(e.message));
  assert.throws(() => createConv4({ inputShape: [8, 8, 1], contextDim: -1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.contextDim/.test(e.message));
  const viaPlugin = conv4BackbonePlugin.create({ inputShape: [8, 8, 1], options: { filters: 2, contextDim: 3, filmBlock: 1 } });
  assert.ok(paramNames(viaPlugin.init(0)).includes('film/kernel'));
  assert.throws(() => conv4BackbonePlugin.create({ inputShape: [8, 8, 1], options: { contextDim: 1.5 } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.contextDim/.test(e.message));
  disposeParams(p);
  disposeParams(pp);
  x.dispose();
});
