// The conv kernel fixes on every backend (cpu, wasm):
// - wasm's added Conv2DBackpropFilter and replaced Conv2DBackpropInput equal the cpu kernels and
//   float64 references, for strides 1 and 2, 'same' and 'valid' padding, odd (and even) input
//   sizes, square and non-square filters;
// - the gradients of Conv2DBackpropFilter and Conv2DBackpropInput (both bilinear) against central
//   finite differences, first and second order;
// - second-order MAML through conv + maxPool and conv + avgPool: the meta-gradient of a one-step
//   inner loop against central differences of the meta-loss, equal on cpu and wasm.
//
// Finite differences (float32, unit roundoff u ≈ 6e-8), central, relative tolerance 2e-3 (a wrong
// derivative is off by O(1)):
// - the kernel gradients are probed with functions that are bilinear or quadratic in the moving
//   variables, where a central difference has no truncation error for ANY step, so the step is
//   large, h = 0.25, to keep rounding small: ~ u Σ|terms of F| / (h |F'v|) ≈ 1e-5 (at h = 1e-2
//   it reached 2e-3 on the largest case);
// - the MAML meta-loss (conv → pool → conv → tanh → squared error, one inner SGD step of size
//   0.1) is smooth where the max pools keep their maxima, with third derivatives large enough that
//   truncation is ~ 1.5e-1 at h = 1e-2 and 1.5e-3 at h = 1e-3 (measured, scaling as h²): h = 1e-3
//   for the average-pool nets (measured ~ 5e-5) and 3e-4 for the max-pool nets (~ 2e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine, kernelChecks, runCheck, type Rng } from '@metalearn/core';
import { derivativeErrors, type MultiFn } from './engine-gradients-fd.js';

const backends = await availableBackends();
const FD_TOL = 2e-3;

function normals(rng: Rng, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => scale * rng.normal());
}

type Pad = 'same' | 'valid';
interface ConvCase {
  readonly xShape: [number, number, number, number];
  readonly filterShape: [number, number, number, number];
  readonly stride: number;
  readonly pad: Pad;
}

/** Every stride/padding combination on odd and even sizes, square and non-square filters. */
const CASES: ConvCase[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const [h, w] of [[5, 7], [7, 5], [6, 6], [9, 8]] as const) {
      for (const [fh, fw] of [[3, 3], [1, 1], [3, 2], [5, 3]] as const) {
        if (pad === 'valid' && (fh > h || fw > w)) continue;
        CASES.push({ xShape: [3, h, w, 2], filterShape: [fh, fw, 2, 4], stride, pad });
      }
    }
  }
}

/** The float64 filter gradient: dW[a, b, i, o] = Σ_{n,p,q} x[n, p s + a - pt, q s + b - pl, i] dy[n, p, q, o]. */
function filterGradReference(x: Float32Array, dy: Float32Array, c: ConvCase): Float64Array {
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.stride, 1, c.pad);
  const [n, h, w, ci] = c.xShape;
  const [fh, fw, , co] = c.filterShape;
  const { outHeight: ho, outWidth: wo } = info;
  const out = new Float64Array(fh * fw * ci * co);
  for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    let s = 0;
    for (let m = 0; m < n; m++) for (let p = 0; p < ho; p++) for (let q = 0; q < wo; q++) {
      const r = p * c.stride + a - info.padInfo.top;
      const t = q * c.stride + b - info.padInfo.left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      s += x[((m * h + r) * w + t) * ci + i]! * dy[((m * ho + p) * wo + q) * co + o]!;
    }
    out[((a * fw + b) * ci + i) * co + o] = s;
  }
  return out;
}

/** The float64 input gradient: dx[n, p s + a - pt, q s + b - pl, i] += dy[n, p, q, o] W[a, b, i, o]. */
function inputGradReference(dy: Float32Array, filter: Float32Array, c: ConvCase): Float64Array {
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.stride, 1, c.pad);
  const [n, h, w, ci] = c.xShape;
  const [fh, fw, , co] = c.filterShape;
  const { outHeight: ho, outWidth: wo } = info;
  const out = new Float64Array(n * h * w * ci);
  for (let m = 0; m < n; m++) for (let p = 0; p < ho; p++) for (let q = 0; q < wo; q++) for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) {
    const r = p * c.stride + a - info.padInfo.top;
    const t = q * c.stride + b - info.padInfo.left;
    if (r < 0 || r >= h || t < 0 || t >= w) continue;
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
      out[((m * h + r) * w + t) * ci + i]! += dy[((m * ho + p) * wo + q) * co + o]! * filter[((a * fw + b) * ci + i) * co + o]!;
    }
  }
  return out;
}

function convOutShape(c: ConvCase): number[] {
  return tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.stride, 1, c.pad).outShape;
}

function runFilterGrad(x: tf.Tensor, dy: tf.Tensor, c: ConvCase): Float32Array {
  return tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape }) as tf.Tensor;
    assert.deepEqual(out.shape, c.filterShape);
    return out.dataSync() as Float32Array;
  });
}

test('Conv2DBackpropFilter: wasm (added) equals the cpu kernel and a float64 reference for every stride/padding/size combination', async (t) => {
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const rng = createRng(101);
  const inputs = CASES.map((c) => ({ x: normals(rng, c.xShape.reduce((p, d) => p * d, 1)), dy: normals(rng, convOutShape(c).reduce((p, d) => p * d, 1)) }));
  const results: Record<string, Float32Array[]> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    results[backend] = CASES.map((c, k) => {
      const x = tf.tensor(inputs[k]!.x, c.xShape);
      const dy = tf.tensor(inputs[k]!.dy, convOutShape(c));
      const out = runFilterGrad(x, dy, c);
      tf.dispose([x, dy]);
      return out;
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: Conv2DBackpropFilter leaked tensors`);
  }
  let worstRef = 0;
  let worstCpu = 0;
  CASES.forEach((c, k) => {
    const ref = filterGradReference(new Float32Array(inputs[k]!.x), new Float32Array(inputs[k]!.dy), c);
    const scale = Math.max(1, ...Array.from(ref, Math.abs));
    for (const backend of backends) {
      const got = results[backend]![k]!;
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!));
      worstRef = Math.max(worstRef, err / scale);
      assert.ok(err / scale < 1e-5, `${backend} ${JSON.stringify(c)}: relative error ${err / scale} vs float64`);
    }
    const cpu = results['cpu']!;
    const wasm = results['wasm']!;
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(cpu[k]![i]! - wasm[k]![i]!));
    worstCpu = Math.max(worstCpu, diff / scale);
    assert.ok(diff / scale < 1e-5, `${JSON.stringify(c)}: wasm vs cpu relative difference ${diff / scale}`);
  });
  t.diagnostic(`${CASES.length} cases; worst relative error vs float64 ${worstRef.toExponential(2)}, wasm vs cpu ${worstCpu.toExponential(2)} (tolerance 1e-5)`);
});

function runInputGrad(dy: tf.Tensor, filter: tf.Tensor, c: ConvCase): Float32Array {
  return tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: c.xShape }) as tf.Tensor;
    assert.deepEqual(out.shape, c.xShape);
    return out.dataSync() as Float32Array;
  });
}

test('Conv2DBackpropInput: wasm (replaced, via XNNPACK Conv2D) equals the cpu kernel and a float64 reference for every stride/padding/size combination', async (t) => {
  const rng = createRng(102);
  const inputs = CASES.map((c) => ({ dy: normals(rng, convOutShape(c).reduce((p, d) => p * d, 1)), filter: normals(rng, c.filterShape.reduce((p, d) => p * d, 1)) }));
  const results: Record<string, Float32Array[]> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    results[backend] = CASES.map((c, k) => {
      const dy = tf.tensor(inputs[k]!.dy, convOutShape(c));
      const filter = tf.tensor(inputs[k]!.filter, c.filterShape);
      const out = runInputGrad(dy, filter, c);
      tf.dispose([dy, filter]);
      return out;
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: Conv2DBackpropInput leaked tensors`);
  }
  let worst = 0;
  CASES.forEach((c, k) => {
    const ref = inputGradReference(new Float32Array(inputs[k]!.dy), new Float32Array(inputs[k]!.filter), c);
    const scale = Math.max(1, ...Array.from(ref, Math.abs));
    for (const backend of backends) {
      const got = results[backend]![k]!;
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!));
      worst = Math.max(worst, err / scale);
      assert.ok(err / scale < 1e-5, `${backend} ${JSON.stringify(c)}: relative error ${err / scale} vs float64`);
    }
  });
  t.diagnostic(`${CASES.length} cases; worst relative error vs float64 ${worst.toExponential(2)} (tolerance 1e-5)`);
});

test('the kernel doctor checks pass on every backend and leave no tensor behind', async (t) => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    for (const check of kernelChecks) {
      const r = await runCheck(check);
      assert.ok(r.pass, `${backend} ${r.name}: value ${r.value}, expected ${r.expected}, error ${r.error} (tolerance ${r.tolerance}) ${r.message ?? ''}`);
      t.diagnostic(`${backend} ${r.name}: error ${r.error!.toExponential(2)} (tolerance ${r.tolerance})`);
    }
    assert.equal(tf.memory().numTensors, before, `${backend}: checks leaked tensors`);
  }
});

interface FdCase {
  readonly name: string;
  readonly f: MultiFn;
  readonly inputs: () => tf.Tensor[];
}

type Kernel = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * For each bilinear kernel K(a, b) (Conv2DBackpropFilter(x, dy), Conv2DBackpropInput(dy, filter))
 * three functions whose central differences are exact up to rounding: Σ w ⊙ K(a, b) (jointly
 * bilinear: the mixed second derivative), Σ w ⊙ K(a, b₀)² and Σ w ⊙ K(a₀, b)² (quadratic: the
 * gradient's own gradient with an upstream that depends on the variable).
 */
function bilinearCases(rng: Rng): FdCase[] {
  const out: FdCase[] = [];
  const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
  for (const c of CASES.filter((_, k) => k % 4 === 0)) {
    const dyShape = convOutShape(c);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
    const label = `${c.xShape.slice(1, 3).join('x')} filter ${c.filterShape.slice(0, 2).join('x')} stride ${c.stride} ${c.pad}`;
    const kernels: Array<[string, Kernel, number[], number[], number[]]> = [
      ['Conv2DBackpropFilter(x, dy)', (x, dy) => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filterShape }) as tf.Tensor, c.xShape, dyShape, c.filterShape],
      ['Conv2DBackpropInput(dy, filter)', (dy, filter) => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: c.xShape }) as tf.Tensor, dyShape, c.filterShape, c.xShape],
    ];
    for (const [name, k, aShape, bShape, outShape] of kernels) {
      const av = normals(rng, size(aShape), 0.5);
      const bv = normals(rng, size(bShape), 0.5);
      const w = normals(rng, size(outShape));
      const weight = (): tf.Tensor => tf.tensor(w, outShape);
      out.push({ name: `Σ w ⊙ ${name}, ${label}`, f: ([a, b]) => tf.sum(tf.mul(weight(), k(a!, b!))), inputs: () => [tf.tensor(av, aShape), tf.tensor(bv, bShape)] });
      out.push({ name: `Σ w ⊙ ${name}² in the first argument, ${label}`, f: ([a]) => tf.sum(tf.mul(weight(), tf.square(k(a!, tf.tensor(bv, bShape))))), inputs: () => [tf.tensor(av, aShape)] });
      out.push({ name: `Σ w ⊙ ${name}² in the second argument, ${label}`, f: ([b]) => tf.sum(tf.mul(weight(), tf.square(k(tf.tensor(av, aShape), b!)))), inputs: () => [tf.tensor(bv, bShape)] });
    }
  }
  return out;
}

test('gradients of Conv2DBackpropFilter and Conv2DBackpropInput w.r.t. both inputs, first and second order, against central differences', async (t) => {
  const cases = bilinearCases(createRng(202));
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    let worstFirst = 0;
    let worstSecond = 0;
    cases.forEach((c, k) => {
      const xs = c.inputs();
      const e = derivativeErrors(c.f, xs, 1000 + k, 0.25);
      tf.dispose(xs);
      assert.ok(e.first < FD_TOL, `${backend} ${c.name}: first-order error ${e.first}`);
      assert.ok(e.second < FD_TOL, `${backend} ${c.name}: second-order error ${e.second}`);
      assert.ok(e.hvpScale > 0.1, `${backend} ${c.name}: Hessian-vector product ${e.hvpScale} should not vanish`);
      worstFirst = Math.max(worstFirst, e.first);
      worstSecond = Math.max(worstSecond, e.second);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
    t.diagnostic(`${backend}: ${cases.length} cases, h = 0.25, worst relative error first ${worstFirst.toExponential(2)}, second ${worstSecond.toExponential(2)} (tolerance ${FD_TOL})`);
  }
});

/** A two-layer conv net: conv3x3 (stride s, 'same') → pool → conv2x2 ('valid') → tanh, squared error to targets. */
interface Net {
  readonly pool: 'max' | 'avg';
  readonly stride: number;
}

function netLoss(theta: tf.Tensor[], x: tf.Tensor4D, target: tf.Tensor, net: Net): tf.Scalar {
  const [w1, w2] = theta as [tf.Tensor4D, tf.Tensor4D];
  const h1 = tf.conv2d(x, w1, net.stride, 'same');
  const p1 = net.pool === 'max' ? tf.maxPool(h1, 2, 2, 'same') : tf.avgPool(h1, 3, 2, 'same');
  const h2 = tf.tanh(tf.conv2d(p1, w2, 1, 'valid'));
  return tf.mean(tf.square(tf.sub(h2, target)));
}

/** Meta-loss of MAML with one inner SGD step: L_q(θ - α ∇L_s(θ)) (second order: the inner gradient is differentiated). */
function metaLoss(theta: tf.Tensor[], support: [tf.Tensor4D, tf.Tensor], query: [tf.Tensor4D, tf.Tensor], net: Net, innerLr: number): tf.Scalar {
  const grads = tf.grads((...p: tf.Tensor[]) => netLoss(p, support[0], support[1], net))(theta);
  const fast = theta.map((p, i) => tf.sub(p, tf.mul(grads[i]!, innerLr)));
  return netLoss(fast, query[0], query[1], net);
}

test('second-order MAML through conv + maxPool and conv + avgPool: meta-gradient against central differences, equal on cpu and wasm', async (t) => {
  const rng = createRng(303);
  const xs = normals(rng, 2 * 7 * 7 * 2);
  const xq = normals(rng, 2 * 7 * 7 * 2);
  const w1 = normals(rng, 3 * 3 * 2 * 3, 0.5);
  const w2 = normals(rng, 2 * 2 * 3 * 2, 0.5);
  const nets: Net[] = [{ pool: 'max', stride: 1 }, { pool: 'avg', stride: 1 }, { pool: 'max', stride: 2 }, { pool: 'avg', stride: 2 }];
  const metaGrads: Record<string, number[][]> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    metaGrads[backend] = [];
    for (const net of nets) {
      const [support, query, theta] = tf.tidy(() => {
        const shape = (x: number[]): tf.Tensor4D => tf.tensor4d(x, [2, 7, 7, 2]);
        const sx = shape(xs);
        const qx = shape(xq);
        const th = [tf.tensor4d(w1, [3, 3, 2, 3]), tf.tensor4d(w2, [2, 2, 3, 2])];
        const outShape = tf.conv2d(net.pool === 'max' ? tf.maxPool(tf.conv2d(sx, th[0]!, net.stride, 'same'), 2, 2, 'same') : tf.avgPool(tf.conv2d(sx, th[0]!, net.stride, 'same'), 3, 2, 'same'), th[1]!, 1, 'valid').shape;
        const target = (k: number): tf.Tensor => tf.tensor(Array.from({ length: outShape.reduce((p, d) => p * d, 1) }, (_, i) => 0.5 * Math.sin(i + k)), outShape);
        return [[sx, target(1)], [qx, target(2)], th] as [[tf.Tensor4D, tf.Tensor], [tf.Tensor4D, tf.Tensor], tf.Tensor[]];
      });
      const f: MultiFn = (p) => metaLoss(p, support, query, net, 0.1);
      const h = net.pool === 'max' ? 3e-4 : 1e-3;
      const e = derivativeErrors(f, theta, 4000 + metaGrads[backend]!.length, h, false);
      const g = tf.tidy(() => tf.grads((...p: tf.Tensor[]) => f(p))(theta).map((t2) => Array.from(t2.dataSync())).flat());
      // First-order MAML (the inner gradient held constant) differs: the second-order terms matter here.
      const firstOrder = tf.tidy(() => {
        const inner = tf.grads((...p: tf.Tensor[]) => netLoss(p, support[0], support[1], net))(theta);
        const fast = theta.map((p, i) => tf.sub(p, tf.mul(inner[i]!, 0.1)));
        return tf.grads((...p: tf.Tensor[]) => netLoss(p, query[0], query[1], net))(fast).map((t2) => Array.from(t2.dataSync())).flat();
      });
      const secondOrderShare = Math.max(...g.map((v, i) => Math.abs(v - firstOrder[i]!))) / Math.max(...g.map(Math.abs));
      metaGrads[backend]!.push(g);
      tf.dispose([...support, ...query, ...theta]);
      assert.ok(e.first < FD_TOL, `${backend} ${JSON.stringify(net)}: meta-gradient vs central difference, relative error ${e.first}`);
      assert.ok(secondOrderShare > 10 * FD_TOL, `${backend} ${JSON.stringify(net)}: second-order terms ${secondOrderShare} too small to be tested`);
      t.diagnostic(`${backend} ${net.pool}Pool, conv stride ${net.stride}: meta-gradient relative error ${e.first.toExponential(2)} (h = ${h}, tolerance ${FD_TOL}); second-order terms ${secondOrderShare.toExponential(2)} of it`);
    }
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
  nets.forEach((net, k) => {
    const cpu = metaGrads['cpu']![k]!;
    const wasm = metaGrads['wasm']![k]!;
    const scale = Math.max(1, ...cpu.map(Math.abs));
    const diff = Math.max(...cpu.map((v, i) => Math.abs(v - wasm[i]!)));
    assert.ok(diff / scale < 1e-4, `${JSON.stringify(net)}: cpu and wasm meta-gradients differ by ${diff / scale}`);
  });
});

test('tf.fused.conv2d (bias; linear, relu, elu): grad-of-grad w.r.t. the filter equals the unfused graph on every backend', async () => {
  const rng = createRng(404);
  const xv = normals(rng, 2 * 5 * 5 * 2);
  const bv = normals(rng, 3);
  const wv = normals(rng, 3 * 3 * 2 * 3, 0.5);
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    for (const activation of ['linear', 'relu', 'elu'] as const) {
      const [diff, scale] = tf.tidy(() => {
        const x = tf.tensor4d(xv, [2, 5, 5, 2]);
        const bias = tf.tensor1d(bv);
        const w = tf.tensor4d(wv, [3, 3, 2, 3]);
        const act = (y: tf.Tensor): tf.Tensor => (activation === 'relu' ? tf.relu(y) : activation === 'elu' ? tf.elu(y) : y);
        const fused = (u: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.fused.conv2d({ x, filter: u as tf.Tensor4D, strides: 2, pad: 'same', bias, activation })));
        const plain = (u: tf.Tensor): tf.Scalar => tf.sum(tf.square(act(tf.add(tf.conv2d(x, u as tf.Tensor4D, 2, 'same'), bias))));
        const gg = (f: (u: tf.Tensor) => tf.Scalar): tf.Tensor => tf.grad((u: tf.Tensor) => tf.sum(tf.square(tf.grad(f)(u))))(w);
        const a = gg(fused);
        const b = gg(plain);
        return [tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!, tf.max(tf.abs(b)).dataSync()[0]!];
      });
      assert.ok(scale! > 1 && diff! <= 1e-6 * scale!, `${backend} ${activation}: fused vs unfused ${diff} (scale ${scale})`);
    }
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});
