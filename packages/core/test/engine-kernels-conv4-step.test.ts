// The wasm kernels of a Conv-4 meta-step against cpu:
// - Conv2DBackpropInput at stride > 1 (conv2d-backprop-input-strided-wasm.ts: dy W^T on the fast
//   matmul, then col2im) on Conv-4 Omniglot channel counts and on odd strides, paddings
//   (numeric, explicit) and sizes, equal to a float64 reference on each backend;
// - Conv2DBackpropFilter (kernel-conv2d-backprop-filter-wasm.ts: patch matrix x dy, in blocks)
//   on a shape needing two blocks and on Conv-4 shapes, equal to a float64 reference on each backend;
// - a whole second-order MAML meta-gradient (two inner SGD steps, written out here) of a strided
//   Conv-4 (batch norm, ReLU, linear head) equal on cpu and wasm: every replaced kernel
//   (BatchMatMul, Sum/Mean, both conv gradients and their gradients) composed.
// Tolerances: convolution sums of fh fw Co <= 576 products, relative to the largest |dx| (or 1):
// 1e-5 (~K u, u = 6e-8). The meta-gradient: relative 1e-3 of each tensor's largest entry (float32
// through ~40 kernels with batch-norm divisions; measured ~1e-5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  applyModel, availableBackends, createConv4, createLinearHead, createRng, disposeEpisode, disposeParams, initEngine, initModel, paramNames,
  softmaxCrossEntropy, type Params, type Rng,
} from '@metalearn/core';
import { syntheticEpisode } from '@metalearn/core/testing';

const backends = await availableBackends();

function normals(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

interface InputGradCase {
  readonly xShape: [number, number, number, number];
  readonly filterShape: [number, number, number, number];
  readonly strides: [number, number];
  readonly pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
}

const CASES: InputGradCase[] = [
  { xShape: [5, 14, 14, 64], filterShape: [3, 3, 64, 64], strides: [2, 2], pad: 'same' }, // Conv-4 Omniglot block 2
  { xShape: [5, 7, 7, 64], filterShape: [3, 3, 64, 64], strides: [2, 2], pad: 'same' }, // block 3 (7 -> 4)
  { xShape: [3, 9, 7, 16], filterShape: [3, 3, 16, 24], strides: [2, 2], pad: 'valid' },
  { xShape: [2, 13, 11, 8], filterShape: [3, 5, 8, 12], strides: [3, 3], pad: 'same' },
  { xShape: [2, 10, 9, 6], filterShape: [3, 3, 6, 10], strides: [2, 1], pad: 'same' },
  { xShape: [2, 9, 12, 6], filterShape: [2, 4, 6, 10], strides: [1, 3], pad: 'valid' },
  { xShape: [2, 11, 10, 5], filterShape: [3, 3, 5, 7], strides: [2, 2], pad: 1 },
  { xShape: [2, 11, 10, 5], filterShape: [3, 3, 5, 7], strides: [2, 3], pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { xShape: [4, 8, 8, 3], filterShape: [5, 5, 3, 4], strides: [4, 4], pad: 'same' }, // taps overlapping no window
];

function info(c: InputGradCase): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad);
}

/** float64 dx[n, p sh + a - pt, q sw + b - pl, i] += dy[n, p, q, o] W[a, b, i, o]. */
function reference(dy: Float32Array, filter: Float32Array, c: InputGradCase): Float64Array {
  const ci = info(c);
  const [n, h, w, cin] = c.xShape;
  const [fh, fw, , co] = c.filterShape;
  const out = new Float64Array(n * h * w * cin);
  for (let m = 0; m < n; m++) for (let p = 0; p < ci.outHeight; p++) for (let q = 0; q < ci.outWidth; q++) for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) {
    const r = p * ci.strideHeight + a - ci.padInfo.top;
    const t = q * ci.strideWidth + b - ci.padInfo.left;
    if (r < 0 || r >= h || t < 0 || t >= w) continue;
    for (let i = 0; i < cin; i++) {
      let s = 0;
      for (let o = 0; o < co; o++) s += dy[((m * ci.outHeight + p) * ci.outWidth + q) * co + o]! * filter[((a * fw + b) * cin + i) * co + o]!;
      out[((m * h + r) * w + t) * cin + i]! += s;
    }
  }
  return out;
}

test('Conv2DBackpropInput at stride > 1 (dy W^T + col2im on wasm): Conv-4 shapes, odd strides and paddings equal a float64 reference on each backend', async (t) => {
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const rng = createRng(601);
  const inputs = CASES.map((c) => ({ dy: normals(rng, tf.util.sizeFromShape(info(c).outShape)), filter: normals(rng, tf.util.sizeFromShape(c.filterShape)) }));
  const results: Record<string, Float32Array[]> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory();
    results[backend] = CASES.map((c, k) =>
      tf.tidy(() => {
        const out = tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy: tf.tensor(inputs[k]!.dy, info(c).outShape), filter: tf.tensor(inputs[k]!.filter, c.filterShape) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.xShape },
        ) as tf.Tensor;
        assert.deepEqual(out.shape, c.xShape);
        return out.dataSync() as Float32Array;
      }),
    );
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, `${backend}: leaked tensors`);
    assert.equal(after.numBytes, before.numBytes, `${backend}: leaked bytes`);
  }
  let worst = 0;
  CASES.forEach((c, k) => {
    const ref = reference(inputs[k]!.dy, inputs[k]!.filter, c);
    const scale = Math.max(1, ...Array.from(ref, Math.abs));
    for (const backend of backends) {
      const got = results[backend]![k]!;
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!));
      worst = Math.max(worst, err / scale);
      assert.ok(err / scale < 1e-5, `${backend} ${JSON.stringify(c)}: relative error ${err / scale}`);
    }
  });
  t.diagnostic(`${CASES.length} cases; worst relative error vs float64 ${worst.toExponential(2)} (tolerance 1e-5)`);
});

/** float64 dW[a, b, i, o] = sum over n, p, q of x[n, p sh + a - pt, q sw + b - pl, i] dy[n, p, q, o]. */
function filterReference(x: Float32Array, dy: Float32Array, c: InputGradCase): Float64Array {
  const ci = info(c);
  const [n, h, w, cin] = c.xShape;
  const [fh, fw, , co] = c.filterShape;
  const out = new Float64Array(fh * fw * cin * co);
  for (let m = 0; m < n; m++) for (let p = 0; p < ci.outHeight; p++) for (let q = 0; q < ci.outWidth; q++) for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) {
    const r = p * ci.strideHeight + a - ci.padInfo.top;
    const t = q * ci.strideWidth + b - ci.padInfo.left;
    if (r < 0 || r >= h || t < 0 || t >= w) continue;
    const dyBase = ((m * ci.outHeight + p) * ci.outWidth + q) * co;
    for (let i = 0; i < cin; i++) {
      const xi = x[((m * h + r) * w + t) * cin + i]!;
      const wBase = ((a * fw + b) * cin + i) * co;
      for (let o = 0; o < co; o++) out[wBase + o]! += xi * dy[dyBase + o]!;
    }
  }
  return out;
}

// Conv2DBackpropFilter on wasm builds the patch matrix in blocks of at most 2^21 floats: the first
// case has 1600 positions x 2304 taps (two blocks, 910 + 690 rows), the others one block each.
const FILTER_CASES: InputGradCase[] = [
  { xShape: [4, 20, 20, 256], filterShape: [3, 3, 256, 4], strides: [1, 1], pad: 'same' },
  { xShape: [5, 28, 28, 1], filterShape: [3, 3, 1, 64], strides: [2, 2], pad: 'same' }, // Conv-4 Omniglot block 1
  { xShape: [5, 14, 14, 64], filterShape: [3, 3, 64, 64], strides: [2, 2], pad: 'same' }, // block 2
  { xShape: [3, 9, 7, 16], filterShape: [3, 3, 16, 24], strides: [2, 2], pad: 'valid' },
  { xShape: [2, 11, 10, 5], filterShape: [3, 3, 5, 7], strides: [2, 3], pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
];

test('Conv2DBackpropFilter (patch matrix x dy on wasm, in blocks): large and Conv-4 shapes equal a float64 reference on each backend', async (t) => {
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const rng = createRng(602);
  const inputs = FILTER_CASES.map((c) => ({ x: normals(rng, tf.util.sizeFromShape(c.xShape)), dy: normals(rng, tf.util.sizeFromShape(info(c).outShape)) }));
  const refs = FILTER_CASES.map((c, k) => filterReference(inputs[k]!.x, inputs[k]!.dy, c));
  let worst = 0;
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory();
    FILTER_CASES.forEach((c, k) => {
      const got = tf.tidy(() => {
        const out = tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor(inputs[k]!.x, c.xShape), dy: tf.tensor(inputs[k]!.dy, info(c).outShape) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape },
        ) as tf.Tensor;
        assert.deepEqual(out.shape, c.filterShape);
        return out.dataSync() as Float32Array;
      });
      const ref = refs[k]!;
      const scale = Math.max(1, ...Array.from(ref, Math.abs));
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!));
      worst = Math.max(worst, err / scale);
      assert.ok(err / scale < 1e-5, `${backend} ${JSON.stringify(c)}: relative error ${err / scale}`);
    });
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, `${backend}: leaked tensors`);
    assert.equal(after.numBytes, before.numBytes, `${backend}: leaked bytes`);
  }
  t.diagnostic(`${FILTER_CASES.length} cases; worst relative error vs float64 ${worst.toExponential(2)} (tolerance 1e-5: sums of up to N Ho Wo = 1600 products)`);
});

/**
 * Second-order MAML meta-loss: theta_{k+1} = theta_k - innerLr grad L_support(theta_k), k < steps,
 * then L_query(theta_steps); the inner gradients are recorded (differentiated through).
 */
function mamlMetaLoss(names: string[], values: tf.Tensor[], support: { x: tf.Tensor; y: tf.Tensor }, query: { x: tf.Tensor; y: tf.Tensor }, loss: (theta: Params, x: tf.Tensor, y: tf.Tensor) => tf.Scalar): tf.Scalar {
  const toParams = (ts: tf.Tensor[]): Params => Object.fromEntries(names.map((n, i) => [n, ts[i]!]));
  let fast = values;
  for (let k = 0; k < 2; k++) {
    const grads = tf.grads((...ts: tf.Tensor[]) => loss(toParams(ts), support.x, support.y))(fast);
    fast = fast.map((t, i) => tf.sub(t, tf.mul(0.1, grads[i]!)));
  }
  return loss(toParams(fast), query.x, query.y);
}

test('a second-order MAML meta-gradient through a strided Conv-4 (batch norm, ReLU, linear head) is equal on cpu and wasm', async (t) => {
  const results: Record<string, { value: number; grads: Record<string, Float32Array> }> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const backbone = createConv4({ inputShape: [16, 16, 1], filters: 16 });
    const head = createLinearHead();
    const theta = initModel(backbone, head, 7, 3);
    const episode = syntheticEpisode(9, { kind: 'classification', ways: 3, shots: 2, queryShots: 4, inputShape: [16, 16, 1] });
    const loss = (p: Params, x: tf.Tensor, y: tf.Tensor): tf.Scalar => softmaxCrossEntropy(applyModel(backbone, head, p, x, { training: true }), y);
    const names = paramNames(theta);
    const before = tf.memory().numTensors;
    results[backend] = tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) => mamlMetaLoss(names, ts, episode.support, episode.query, loss))(names.map((n) => theta[n]!));
      return { value: value.dataSync()[0]!, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array])) };
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: meta-gradient leaked tensors`);
    disposeParams(theta);
    disposeEpisode(episode);
  }
  const cpu = results['cpu']!;
  const wasm = results['wasm']!;
  assert.ok(Math.abs(cpu.value - wasm.value) < 1e-4 * Math.max(1, Math.abs(cpu.value)), `meta-loss cpu ${cpu.value}, wasm ${wasm.value}`);
  const names = Object.keys(cpu.grads);
  assert.ok(names.filter((n) => n.includes('backbone/conv')).length >= 4, names.join());
  let worst = 0;
  for (const n of names) {
    const a = cpu.grads[n]!;
    const b = wasm.grads[n]!;
    const scale = Math.max(...Array.from(a, Math.abs));
    assert.ok(scale > 0, `${n}: a non-zero meta-gradient`);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    worst = Math.max(worst, diff / scale);
    assert.ok(diff / scale < 1e-4, `${n}: wasm vs cpu relative difference ${diff / scale}`);
  }
  t.diagnostic(`meta-loss ${cpu.value.toFixed(5)}; ${names.length} gradients, worst wasm vs cpu relative difference ${worst.toExponential(2)} (tolerance 1e-4)`);
});
