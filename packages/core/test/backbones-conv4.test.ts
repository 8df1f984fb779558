import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  availableBackends, countParams, createConv4, createLinearHead, createRng, disposeParams, initModel, MetaLearnError, paramNames,
  type Conv4Options, type NormStats, type Params,
} from '@metalearn/core';

const backends = await availableBackends();

// ---- A float64 reference of Conv-4, written with plain loops (NHWC, TensorFlow padding). ----
type Img = number[][][][]; // [B][H][W][C]
function conv(x: Img, k: number[][][][], stride: number, bias?: number[]): Img {
  const [B, H, W] = [x.length, x[0]!.length, x[0]![0]!.length];
  const Ci = k[0]![0]!.length;
  const F = k[0]![0]![0]!.length;
  const oh = Math.ceil(H / stride);
  const ow = Math.ceil(W / stride);
  const pt = Math.floor(Math.max((oh - 1) * stride + 3 - H, 0) / 2);
  const pl = Math.floor(Math.max((ow - 1) * stride + 3 - W, 0) / 2);
  const y: Img = [];
  for (let b = 0; b < B; b++) {
    y.push([]);
    for (let i = 0; i < oh; i++) {
      y[b]!.push([]);
      for (let j = 0; j < ow; j++) {
        const row: number[] = [];
        for (let f = 0; f < F; f++) {
          let s = bias ? bias[f]! : 0;
          for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) {
            const r = i * stride + u - pt;
            const c = j * stride + v - pl;
            if (r < 0 || r >= H || c < 0 || c >= W) continue;
            for (let ci = 0; ci < Ci; ci++) s += x[b]![r]![c]![ci]! * k[u]![v]![ci]![f]!;
          }
          row.push(s);
        }
        y[b]![i]!.push(row);
      }
    }
  }
  return y;
}
function bn(x: Img, eps: number, scale: number[] | undefined, offset: number[]): { y: Img; mean: number[]; variance: number[] } {
  const F = offset.length;
  const all = x.flat(2);
  const mean = Array.from({ length: F }, (_, f) => all.reduce((s, p) => s + p[f]!, 0) / all.length);
  const variance = Array.from({ length: F }, (_, f) => all.reduce((s, p) => s + (p[f]! - mean[f]!) ** 2, 0) / all.length);
  const y = x.map((im) => im.map((r) => r.map((p) => p.map((z, f) => ((z - mean[f]!) / Math.sqrt(variance[f]! + eps)) * (scale ? scale[f]! : 1) + offset[f]!))));
  return { y, mean, variance };
}
function pool(x: Img): Img {
  const h = Math.floor(x[0]!.length / 2);
  const w = Math.floor(x[0]![0]!.length / 2);
  return x.map((im) => Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) =>
    im[2 * i]![2 * j]!.map((_, f) => Math.max(im[2 * i]![2 * j]![f]!, im[2 * i]![2 * j + 1]![f]!, im[2 * i + 1]![2 * j]![f]!, im[2 * i + 1]![2 * j + 1]![f]!)))));
}
function reference(opts: Required<Pick<Conv4Options, 'blocks' | 'variant' | 'pooling' | 'batchNorm' | 'normEpsilon'>> & { act: (v: number) => number }, params: Record<string, number[]>, shapes: Record<string, number[]>, x: Img): number[][] {
  const nest = (flat: number[], shape: number[]): any => (shape.length === 1 ? flat.slice(0, shape[0]) : Array.from({ length: shape[0]! }, (_, i) => nest(flat.slice(i * flat.length / shape[0]!, (i + 1) * flat.length / shape[0]!), shape.slice(1))));
  let a = x;
  for (let l = 1; l <= opts.blocks; l++) {
    let z = conv(a, nest(params[`conv${l}/kernel`]!, shapes[`conv${l}/kernel`]!), opts.variant === 'strided' ? 2 : 1, opts.batchNorm ? undefined : params[`conv${l}/bias`]);
    if (opts.batchNorm) z = bn(z, opts.normEpsilon, params[`norm${l}/scale`], params[`norm${l}/offset`]!).y;
    a = z.map((im) => im.map((r) => r.map((p) => p.map(opts.act))));
    if (opts.variant === 'maxpool') a = pool(a);
  }
  return a.map((im) => (opts.pooling === 'flatten' ? im.flat(2) : im[0]![0]!.map((_, f) => im.flat(1).reduce((s, p) => s + p[f]!, 0) / im.flat(1).length)));
}
function randomParams(params: Params, seed: number): { tensors: Record<string, tf.Tensor>; values: Record<string, number[]>; shapes: Record<string, number[]> } {
  const rng = createRng(seed);
  const tensors: Record<string, tf.Tensor> = {};
  const values: Record<string, number[]> = {};
  const shapes: Record<string, number[]> = {};
  for (const name of paramNames(params)) {
    const t = params[name]!;
    const v = Array.from({ length: t.size }, () => (name.endsWith('scale') ? rng.uniform(0.5, 1.5) : rng.uniform(-0.5, 0.5)));
    tensors[name] = tf.tensor(v, t.shape);
    values[name] = Array.from(tensors[name].dataSync());
    shapes[name] = t.shape;
  }
  return { tensors, values, shapes };
}
function randomImages(shape: number[], seed: number): { t: tf.Tensor4D; v: Img } {
  const rng = createRng(seed);
  const t = tf.tensor4d(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape as [number, number, number, number]);
  return { t, v: t.arraySync() };
}

test('parameter counts: Conv-4 (64 filters, 28x28x1, strided) + 5-way linear head = 112005; mini-ImageNet Conv-4 (32 filters, 84x84x3, max-pool) + 5-way head = 32773', () => {
  // Omniglot: conv1 3*3*1*64 = 576; conv2..4 3*3*64*64 = 36864 each (110592); batch norm 4 * (64 scale + 64 offset) = 512;
  // features = spatial mean of the 2x2x64 map = 64; head 64*5 + 5 = 325. Total 576 + 110592 + 512 + 325 = 112005
  // (MAML's own count: the same convolutions, 4*64 conv biases + 4*64 batch-norm offsets instead of our 4*64 offsets + 4*64 scales).
  const omni = createConv4({ inputShape: [28, 28, 1] });
  assert.equal(omni.featureDim, 64);
  const t1 = initModel(omni, createLinearHead({ init: 'normal' }), 0, 5);
  assert.equal(countParams(t1), 112005);
  // Mini-ImageNet: conv1 3*3*3*32 = 864; conv2..4 3*3*32*32 = 9216 each (27648); batch norm 4*64 = 256;
  // 84 -> 42 -> 21 -> 10 -> 5, features 5*5*32 = 800; head 800*5 + 5 = 4005. Total 864 + 27648 + 256 + 4005 = 32773.
  const mini = createConv4({ inputShape: [84, 84, 3], filters: 32, variant: 'maxpool' });
  assert.equal(mini.featureDim, 800);
  const t2 = initModel(mini, createLinearHead({ init: 'glorotUniform' }), 0, 5);
  assert.equal(countParams(t2), 32773);
  // Flattened Omniglot features: 28 -> 14 -> 7 -> 4 -> 2, 2*2*64 = 256.
  assert.equal(createConv4({ inputShape: [28, 28, 1], pooling: 'flatten' }).featureDim, 256);
  // Without batch norm: a bias per conv instead: 576 + 110592 + 256.
  assert.equal(countParams(createConv4({ inputShape: [28, 28, 1], batchNorm: false }).init(0)), 576 + 110592 + 256);
  disposeParams(t1);
  disposeParams(t2);
});

test('Conv-4 init: Glorot-uniform kernels within sqrt(6 / (9 C_in + 9 F)), unit scales, zero offsets, bitwise deterministic', () => {
  const b = createConv4({ inputShape: [28, 28, 1], filters: 16 });
  const p = b.init(5);
  const q = b.init(5);
  const r = b.init(6);
  for (const n of paramNames(p)) assert.deepEqual(p[n]!.dataSync(), q[n]!.dataSync(), n);
  assert.notDeepEqual(p['conv2/kernel']!.dataSync(), r['conv2/kernel']!.dataSync());
  const k2 = Array.from(p['conv2/kernel']!.dataSync());
  const lim = Math.sqrt(6 / (9 * 16 + 9 * 16));
  assert.ok(k2.every((v) => Math.abs(v) <= lim) && Math.max(...k2.map(Math.abs)) > 0.95 * lim);
  const k1 = Array.from(p['conv1/kernel']!.dataSync());
  assert.ok(k1.every((v) => Math.abs(v) <= Math.sqrt(6 / (9 + 9 * 16))));
  assert.ok(p['norm3/scale']!.dataSync().every((v) => v === 1) && p['norm3/offset']!.dataSync().every((v) => v === 0));
  assert.equal(p['conv1/bias'], undefined);
  for (const x of [p, q, r]) disposeParams(x);
});

const cases: Array<{ name: string; opts: Conv4Options; act: (v: number) => number; input: number[] }> = [
  { name: 'strided, batch norm, relu, mean pooling', opts: { inputShape: [7, 7, 2], filters: 3, blocks: 2, variant: 'strided' }, act: (v) => Math.max(v, 0), input: [3, 7, 7, 2] },
  { name: 'strided, batch norm, tanh, flatten, no scale', opts: { inputShape: [6, 5, 2], filters: 3, blocks: 2, variant: 'strided', pooling: 'flatten', activation: 'tanh', normScale: false }, act: Math.tanh, input: [2, 6, 5, 2] },
  { name: 'max-pooled (odd size cropped), batch norm, relu, flatten', opts: { inputShape: [9, 8, 2], filters: 3, blocks: 2, variant: 'maxpool' }, act: (v) => Math.max(v, 0), input: [3, 9, 8, 2] },
  { name: 'max-pooled, no batch norm (conv bias), elu, mean', opts: { inputShape: [8, 8, 1], filters: 2, blocks: 3, variant: 'maxpool', pooling: 'mean', batchNorm: false, activation: 'elu' }, act: (v) => (v > 0 ? v : Math.exp(v) - 1), input: [2, 8, 8, 1] },
];

test('Conv-4 forward equals a float64 loop reference (conv, batch norm with batch statistics, activation, pooling) on every backend', async () => {
  for (const backend of backends) {
    await tf.setBackend(backend);
    for (const c of cases) {
      const backbone = createConv4(c.opts);
      const init = backbone.init(1);
      const { tensors, values, shapes } = randomParams(init, 2);
      const { t: x, v: xv } = randomImages(c.input, 3);
      const before = tf.memory().numTensors;
      const y = backbone.apply(tensors, x, { training: false });
      assert.equal(tf.memory().numTensors, before + 1, `${c.name}: only the features are left`);
      assert.deepEqual(y.shape, [c.input[0], backbone.featureDim]);
      const expected = reference({ blocks: c.opts.blocks!, variant: c.opts.variant!, pooling: c.opts.pooling ?? (c.opts.variant === 'strided' ? 'mean' : 'flatten'), batchNorm: c.opts.batchNorm ?? true, normEpsilon: 1e-3, act: c.act }, values, shapes, xv);
      const got = y.arraySync();
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) for (let j = 0; j < got[i]!.length; j++) maxErr = Math.max(maxErr, Math.abs(got[i]![j]! - expected[i]![j]!));
      // float32 against float64; batch norm divides by sqrt(var + 1e-3) with var ~ 0.1..1: allow 1e-4.
      assert.ok(maxErr < 1e-4, `${backend} ${c.name}: max |tfjs - reference| = ${maxErr}`);
      y.dispose();
      x.dispose();
      disposeParams(init);
      disposeParams(tensors);
    }
  }
});

test('batch norm normalises each channel: before the affine map mean ~ 0 and variance = v / (v + eps); with scale g, offset b: mean b, variance g^2 v / (v + eps)', async () => {
  for (const backend of backends) {
    await tf.setBackend(backend);
    const backbone = createConv4({ inputShape: [10, 10, 3], filters: 4, blocks: 1, variant: 'strided', pooling: 'flatten', activation: 'linear' });
    const p = backbone.init(0);
    const { t: x } = randomImages([6, 10, 10, 3], 9);
    const captured = new Map<string, NormStats>();
    const y = backbone.apply(p, x, { training: true, onNormStats: (layer, s) => captured.set(layer, s) });
    const z = tf.reshape(y, [-1, 4]);
    const m = tf.moments(z, 0);
    const v = Array.from(captured.get('norm1')!.variance.dataSync());
    const mean = Array.from(m.mean.dataSync());
    const vr = Array.from(m.variance.dataSync());
    for (let f = 0; f < 4; f++) {
      assert.ok(Math.abs(mean[f]!) < 1e-5, `${backend} mean[${f}] = ${mean[f]}`);
      assert.ok(Math.abs(vr[f]! - v[f]! / (v[f]! + 1e-3)) < 1e-4, `${backend} var[${f}] = ${vr[f]} vs ${v[f]! / (v[f]! + 1e-3)}`);
    }
    const g = [2, 0.5, 1, 3];
    const b = [3, -1, 0, 0.25];
    const p2 = { ...p, 'norm1/scale': tf.tensor1d(g), 'norm1/offset': tf.tensor1d(b) };
    const y2 = backbone.apply(p2, x, { training: true });
    const m2 = tf.moments(tf.reshape(y2, [-1, 4]), 0);
    const mean2 = Array.from(m2.mean.dataSync());
    const var2 = Array.from(m2.variance.dataSync());
    for (let f = 0; f < 4; f++) {
      assert.ok(Math.abs(mean2[f]! - b[f]!) < 1e-5, `${backend} mean2[${f}]`);
      assert.ok(Math.abs(var2[f]! - (g[f]! ** 2 * v[f]!) / (v[f]! + 1e-3)) < 1e-3 * g[f]! ** 2, `${backend} var2[${f}]`);
    }
    tf.dispose([y, z, m.mean, m.variance, x, y2, m2.mean, m2.variance, p2['norm1/scale']!, p2['norm1/offset']!]);
    for (const s of captured.values()) tf.dispose([s.mean, s.variance]);
    disposeParams(p);
  }
});

test('normStats / onNormStats: the support set\'s statistics captured and reused make query features independent of the query batch (non-transductive); transductive features depend on it', async () => {
  for (const backend of backends) {
    await tf.setBackend(backend);
    const backbone = createConv4({ inputShape: [12, 12, 1], filters: 4 });
    const p = backbone.init(3);
    const { t: support } = randomImages([5, 12, 12, 1], 1);
    const { t: query } = randomImages([4, 12, 12, 1], 2);
    const stats = new Map<string, NormStats>();
    const layers: string[] = [];
    const start = tf.memory().numTensors;
    const fs = backbone.apply(p, support, { training: true, onNormStats: (layer, s) => { layers.push(layer); stats.set(layer, s); } });
    assert.deepEqual(layers, ['norm1', 'norm2', 'norm3', 'norm4']);
    assert.equal(tf.memory().numTensors, start + 1 + 8, 'features + 4 layers x (mean, variance), in the caller\'s scope');
    for (const s of stats.values()) assert.deepEqual(s.mean.shape, [4]);
    // Support features with their own statistics given back equal the transductive ones.
    const fs2 = backbone.apply(p, support, { training: false, normStats: stats });
    const d0 = tf.tidy(() => tf.max(tf.abs(tf.sub(fs, fs2))).dataSync()[0]!);
    assert.ok(d0 < 1e-6, `${backend} ${d0}`);
    // Non-transductive: the first query example's features are the same alone and within the batch.
    const q0 = tf.slice(query, [0, 0, 0, 0], [1, 12, 12, 1]);
    const fqAll = backbone.apply(p, query, { training: false, normStats: stats });
    const fq0 = backbone.apply(p, q0, { training: false, normStats: stats });
    const d1 = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(fqAll, [0, 0], [1, 4]), fq0))).dataSync()[0]!);
    assert.ok(d1 < 1e-6, `${backend} non-transductive difference ${d1}`);
    // Transductive: they differ.
    const tAll = backbone.apply(p, query, { training: false });
    const t0 = backbone.apply(p, tf.concat([q0, q0]), { training: false });
    const d2 = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(tAll, [0, 0], [1, 4]), tf.slice(t0, [0, 0], [1, 4])))).dataSync()[0]!);
    assert.ok(d2 > 1e-3, `${backend} transductive difference ${d2}`);
    // A missing layer is an error.
    const partial = new Map([...stats].slice(0, 2));
    assert.throws(() => backbone.apply(p, query, { training: false, normStats: partial }), (e) => MetaLearnError.is(e, 'invalidArgument') && /norm3/.test(e.message));
    tf.dispose([fs, fs2, q0, fqAll, fq0, tAll, t0, support, query]);
    for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
    disposeParams(p);
  }
});

test('normSteps > 1 (MAML++ per-step batch-norm weights): ctx.innerStep selects norm{l}/step{s}/*, steps beyond the last reuse it, a negative step throws', () => {
  const backbone = createConv4({ inputShape: [8, 8, 1], filters: 2, normSteps: 3 });
  const p = backbone.init(0);
  assert.ok(paramNames(p).includes('norm4/step2/offset') && paramNames(p).includes('norm1/step0/scale'));
  assert.equal(paramNames(p).filter((n) => n.startsWith('norm')).length, 4 * 3 * 2);
  const p2: Record<string, tf.Tensor> = { ...p, 'norm4/step1/offset': tf.tensor1d([5, 5]), 'norm4/step2/offset': tf.tensor1d([9, 9]) };
  const { t: x } = randomImages([3, 8, 8, 1], 4);
  const at = (s: number | undefined) => tf.tidy(() => tf.mean(backbone.apply(p2, x, { training: true, innerStep: s })).dataSync()[0]!);
  const [s0, sUndef, s1, s2, s7] = [at(0), at(undefined), at(1), at(2), at(7)];
  assert.equal(s0, sUndef);
  assert.ok(s1 > s0 + 1 && s2 > s1 + 1, `${s0} ${s1} ${s2}`);
  assert.equal(s7, s2);
  assert.throws(() => at(-1), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => createConv4({ inputShape: [8, 8, 1], normSteps: 2, batchNorm: false }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  tf.dispose([x, p2['norm4/step1/offset']!, p2['norm4/step2/offset']!]);
  disposeParams(p);
});

test('Conv-4 validates: x of the wrong shape gives shapeMismatch naming conv4.apply and x; bad options and too-small inputs give invalidArgument; context parameters are unsupported', () => {
  const backbone = createConv4({ inputShape: [28, 28, 1], filters: 2 });
  const p = backbone.init(0);
  const x = tf.zeros([2, 28, 28]);
  assert.throws(() => backbone.apply(p, x, { training: true }), (e) => MetaLearnError.is(e, 'shapeMismatch') && /conv4\.apply: x must be float32 \[B, 28, 28, 1\]/.test(e.message));
  assert.throws(() => backbone.apply(p, tf.zeros([1, 28, 28, 1]), { training: true, context: tf.zeros([2]) }), (e) => MetaLearnError.is(e, 'unsupported') && /context/.test(e.message));
  assert.throws(() => createConv4({ inputShape: [28, 28] }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => createConv4({ inputShape: [28, 28, 1], variant: 'avgpool' as never }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => createConv4({ inputShape: [12, 12, 1], variant: 'maxpool' }), (e) => MetaLearnError.is(e, 'invalidArgument') && /too small/.test(e.message));
  x.dispose();
  disposeParams(p);
});

test('Conv-4 first and second derivatives (tanh, batch norm, strided and max-pooled) agree with central finite differences, on every backend', async (t) => {
  // L(p) = sum(features(p) * R) for a fixed random R; u, w random unit directions over all parameters.
  // First order: g.u against (L(p + h u) - L(p - h u)) / 2h. Second order (what MAML's meta-gradient needs):
  // w.(H u) = w.grad(g.u) against (g(p + h u).w - g(p - h u).w) / 2h. h = 1e-2 (strided), 1e-3 (max-pooled), float32;
  // pass when |error| <= 1e-3 + 1e-2 * |value| (measured errors are printed).
  for (const backend of backends) {
    await t.test(backend, async (tb) => {
      await tf.setBackend(backend);
      for (const variant of ['strided', 'maxpool'] as const) {
        const size = variant === 'strided' ? 8 : 16; // max-pooled: 16 -> 8 -> 4 -> 2 -> 1
        const backbone = createConv4({ inputShape: [size, size, 2], filters: 3, variant, activation: 'tanh' });
        const init = backbone.init(0);
        const { tensors: p } = randomParams(init, 7);
        const { t: x } = randomImages([4, size, size, 2], 8);
        const names = paramNames(p);
        const rng = createRng(11);
        const R = tf.tensor2d(Array.from({ length: 4 * backbone.featureDim }, () => rng.normal()), [4, backbone.featureDim]);
        const loss = (...ts: tf.Tensor[]) => tf.sum(tf.mul(backbone.apply(Object.fromEntries(names.map((n, i) => [n, ts[i]!])), x, { training: true }), R)) as tf.Scalar;
        const unit = () => {
          const d = names.map((n) => tf.tensor(Array.from({ length: p[n]!.size }, () => rng.normal()), p[n]!.shape));
          const norm = Math.sqrt(d.reduce((acc, v) => acc + tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]!), 0));
          const out = d.map((v) => tf.div(v, norm));
          tf.dispose(d);
          return out;
        };
        const dot = (a: tf.Tensor[], b: tf.Tensor[]) => tf.tidy(() => a.reduce((acc, v, i) => acc + tf.sum(tf.mul(v, b[i]!)).dataSync()[0]!, 0));
        const moved = (dir: tf.Tensor[], step: number) => names.map((n, i) => tf.add(p[n]!, tf.mul(dir[i]!, step)));
        const start = tf.memory().numTensors;
        const u = unit();
        const w = unit();
        // Max pooling is piecewise smooth: a step of 1e-2 can cross a switch of a window's arg-max (measured: a 3% error
        // from such a kink, which shrinks with h), so the max-pooled variant uses h = 1e-3.
        const h = variant === 'strided' ? 1e-2 : 1e-3;
        const grads = tf.grads(loss)(names.map((n) => p[n]!));
        const g1 = dot(grads, u);
        const fd1 = tf.tidy(() => (loss(...moved(u, h)).dataSync()[0]! - loss(...moved(u, -h)).dataSync()[0]!) / (2 * h));
        tb.diagnostic(`${variant}: g.u ${g1.toExponential(5)} vs FD ${fd1.toExponential(5)} (error ${Math.abs(g1 - fd1).toExponential(2)})`);
        assert.ok(Math.abs(fd1 - g1) <= 1e-3 + 1e-2 * Math.abs(fd1), `${backend} ${variant}: first order ${g1} vs ${fd1}`);
        const hvpW = tf.tidy(() => {
          const hu = tf.grads((...ts: tf.Tensor[]) => tf.addN(tf.grads(loss)(ts).map((g, i) => tf.sum(tf.mul(g, u[i]!)))) as tf.Scalar)(names.map((n) => p[n]!));
          return dot(hu, w);
        });
        const fd2 = tf.tidy(() => (dot(tf.grads(loss)(moved(u, h)), w) - dot(tf.grads(loss)(moved(u, -h)), w)) / (2 * h));
        tb.diagnostic(`${variant}: w.Hu ${hvpW.toExponential(5)} vs FD ${fd2.toExponential(5)} (error ${Math.abs(hvpW - fd2).toExponential(2)})`);
        assert.ok(Math.abs(fd2 - hvpW) <= 1e-3 + 1e-2 * Math.abs(fd2), `${backend} ${variant}: second order ${hvpW} vs ${fd2}`);
        assert.ok(Math.abs(hvpW) > 1e-3, 'the second-order term is not trivially zero');
        assert.ok(grads.every((g) => tf.tidy(() => tf.any(tf.notEqual(g, 0)).dataSync()[0]) === 1), 'every parameter gets a gradient');
        tf.dispose([...grads, ...u, ...w]);
        assert.equal(tf.memory().numTensors, start);
        tf.dispose([x, R]);
        disposeParams(p);
        disposeParams(init);
      }
    });
  }
});
