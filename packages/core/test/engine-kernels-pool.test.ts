// The pool kernel fixes on every backend (cpu, wasm), against hand-computed values and float64
// references:
// - MaxPoolGrad routes each window's gradient to its FIRST maximum in row-major window order
//   (padding excluded), for windows whose maximum is <= 0, for ties, at 'same' borders, with
//   several channels — identical on cpu and wasm and identical to the MaxPool gradient;
// - MetaLearnMaxPoolGather is its adjoint; AvgPoolGrad divides each window by its real pixels;
// - the gradients of MaxPoolGrad, MetaLearnMaxPoolGather and AvgPoolGrad (first and second order)
//   against central finite differences: every function probed is quadratic in the moving variable
//   (the pooled input is held fixed), so the central difference is exact for any step; h = 0.25
//   keeps float32 rounding ~ u Σ|terms| / h ≈ 1e-6 relative; tolerance 2e-3 relative;
// - registering the fixes again changes nothing (no double wrapping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine, type Rng } from '@metalearn/core';
import { registerKernelFixes } from '../src/engine/kernels/register.js';
import { derivativeErrors, type MultiFn } from './engine-gradients-fd.js';

const backends = await availableBackends();
const FD_TOL = 2e-3;

type Pad = 'same' | 'valid';
interface PoolCase {
  readonly shape: [number, number, number, number];
  readonly filter: number;
  readonly stride: number;
  readonly pad: Pad;
}

const CASES: PoolCase[] = [];
for (const filter of [2, 3]) for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) for (const [h, w] of [[5, 7], [6, 5]] as const) {
  CASES.push({ shape: [2, h, w, 3], filter, stride, pad });
}

const attrsOf = (c: PoolCase): Record<string, unknown> => ({ filterSize: c.filter, strides: c.stride, pad: c.pad });
const info = (c: PoolCase): tf.backend_util.Conv2DInfo => tf.backend_util.computePool2DInfo(c.shape, c.filter, c.stride, 1, c.pad);

/** Float64 reference of the rule: per output element, the flat input index of the first window maximum. */
function firstMaxReference(x: number[], c: PoolCase): number[] {
  const g = info(c);
  const [n, h, w, ch] = c.shape;
  const out: number[] = [];
  for (let m = 0; m < n; m++) for (let p = 0; p < g.outHeight; p++) for (let q = 0; q < g.outWidth; q++) for (let k = 0; k < ch; k++) {
    let best = -1;
    for (let i = 0; i < c.filter; i++) for (let j = 0; j < c.filter; j++) {
      const r = p * c.stride - g.padInfo.top + i;
      const s = q * c.stride - g.padInfo.left + j;
      if (r < 0 || r >= h || s < 0 || s >= w) continue;
      const idx = ((m * h + r) * w + s) * ch + k;
      if (best < 0 || x[idx]! > x[best]!) best = idx;
    }
    out.push(best);
  }
  return out;
}

/** Float64 reference: dx = Σ over windows containing the pixel of dy / (real pixels of the window). */
function avgPoolGradReference(dy: number[], c: PoolCase): number[] {
  const g = info(c);
  const [n, h, w, ch] = c.shape;
  const dx = new Array<number>(n * h * w * ch).fill(0);
  for (let m = 0; m < n; m++) for (let p = 0; p < g.outHeight; p++) for (let q = 0; q < g.outWidth; q++) {
    const pixels: Array<[number, number]> = [];
    for (let i = 0; i < c.filter; i++) for (let j = 0; j < c.filter; j++) {
      const r = p * c.stride - g.padInfo.top + i;
      const s = q * c.stride - g.padInfo.left + j;
      if (r >= 0 && r < h && s >= 0 && s < w) pixels.push([r, s]);
    }
    for (let k = 0; k < ch; k++) {
      const share = dy[((m * g.outHeight + p) * g.outWidth + q) * ch + k]! / pixels.length;
      for (const [r, s] of pixels) dx[((m * h + r) * w + s) * ch + k]! += share;
    }
  }
  return dx;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** MaxPoolGrad (kernel), the MaxPool gradient (tf.grad) and the gather, as plain arrays. */
function maxPoolRoutes(x: number[], dy: number[], c: PoolCase): { kernel: number[]; grad: number[]; gather: number[] } {
  return tf.tidy(() => {
    const input = tf.tensor4d(x, c.shape);
    const output = tf.maxPool(input, c.filter, c.stride, c.pad);
    const up = tf.tensor(dy, output.shape);
    const kernel = tf.engine().runKernel('MaxPoolGrad', { dy: up, input, output }, attrsOf(c) as tf.NamedAttrMap) as tf.Tensor;
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, c.filter, c.stride, c.pad), up)))(input);
    const gather = tf.engine().runKernel('MetaLearnMaxPoolGather', { dx: input, input, output }, attrsOf(c) as tf.NamedAttrMap) as tf.Tensor;
    return { kernel: Array.from(kernel.dataSync()), grad: Array.from(grad.dataSync()), gather: Array.from(gather.dataSync()) };
  });
}

test('MaxPoolGrad routes to the first maximum: negative windows, ties, padded borders, two channels (hand values, every backend)', async () => {
  // 4x4, channel 0 = a, channel 1 = -a; 3x3 windows, stride 2, 'same' (pad top/left 0, bottom/right 1).
  const a = [-3, -1, -2, -1, -5, -6, -7, -8, 1, 1, 0, 0, 1, 1, 2, -1];
  const x = a.flatMap((v) => [v, -v]);
  const dy = [1, 10, 2, 20, 3, 30, 4, 40];
  // Channel 0: window (0,0) ties at 1 -> (2,0) = index 8; window (0,1) has maximum 0 (tied) -> (2,2) = 10;
  // windows (1,0) and (1,1) both -> the 2 at (3,2) = 14, receiving 3 + 4.
  // Channel 1: (0,0) -> the 7 at (1,2) = 6; (0,1) -> the 8 at (1,3) = 7; (1,0) -> its maximum 0 at (2,2) = 10;
  // (1,1) -> the 1 at (3,3) = 15.
  const want = new Array<number>(32).fill(0);
  want[8 * 2] = 1; want[10 * 2] = 2; want[14 * 2] = 7;
  want[6 * 2 + 1] = 10; want[7 * 2 + 1] = 20; want[10 * 2 + 1] = 30; want[15 * 2 + 1] = 40;
  const c: PoolCase = { shape: [1, 4, 4, 2], filter: 3, stride: 2, pad: 'same' };
  // All equal (ties everywhere): each 2x2 window's top-left pixel.
  const zeros: PoolCase = { shape: [1, 4, 4, 1], filter: 2, stride: 2, pad: 'valid' };
  const wantZeros = new Array<number>(16).fill(0);
  wantZeros[0] = 1; wantZeros[2] = 2; wantZeros[8] = 3; wantZeros[10] = 4;
  // Constant negative input, 2x2 stride 1 'same' on 3x3: window (p, q) starts at pixel (p, q), so dx = dy.
  const neg: PoolCase = { shape: [1, 3, 3, 1], filter: 2, stride: 1, pad: 'same' };
  const dyNeg = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    const r = maxPoolRoutes(x, dy, c);
    assert.deepEqual(r.kernel, want, `${backend}: MaxPoolGrad`);
    assert.deepEqual(r.grad, want, `${backend}: MaxPool gradient`);
    assert.equal(maxAbs(r.gather, [1, 7, 0, 8, 2, 0, 2, 1]), 0, `${backend}: gather of x itself = the pooled values ${r.gather}`);
    assert.deepEqual(maxPoolRoutes(new Array<number>(16).fill(0), [1, 2, 3, 4], zeros).kernel, wantZeros, `${backend}: all-tied windows`);
    assert.deepEqual(maxPoolRoutes(new Array<number>(9).fill(-5), dyNeg, neg).kernel, dyNeg, `${backend}: constant negative windows`);
    assert.deepEqual(maxPoolRoutes(new Array<number>(9).fill(-5), dyNeg, neg).grad, dyNeg, `${backend}: constant negative windows (MaxPool gradient)`);
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});

test('MaxPoolGrad, the MaxPool gradient and the gather equal a float64 first-maximum reference on inputs with many ties (every backend)', async (t) => {
  const rng = createRng(505);
  // Integers in [-2, 2]: most windows have tied maxima, many have a maximum <= 0.
  const data = CASES.map((c) => {
    const g = info(c);
    return { x: Array.from({ length: c.shape.reduce((p, d) => p * d, 1) }, () => rng.int(5) - 2), dy: Array.from({ length: g.outShape.reduce((p, d) => p * d, 1) }, () => rng.normal()) };
  });
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    let tied = 0;
    CASES.forEach((c, k) => {
      const { x, dy } = data[k]!;
      const positions = firstMaxReference(x, c);
      const want = new Array<number>(x.length).fill(0);
      positions.forEach((p, o) => { want[p]! += dy[o]!; });
      const r = maxPoolRoutes(x, dy, c);
      const label = `${backend} ${JSON.stringify(c)}`;
      assert.ok(maxAbs(r.kernel, want) < 1e-6, `${label}: MaxPoolGrad vs reference ${maxAbs(r.kernel, want)}`);
      assert.ok(maxAbs(r.grad, want) < 1e-6, `${label}: MaxPool gradient vs reference ${maxAbs(r.grad, want)}`);
      assert.deepEqual(r.gather, positions.map((p) => x[p]!), `${label}: gather`);
      tied += positions.filter((p, o) => positions.indexOf(p) !== o || x.filter((v) => v === x[p]).length > 1).length;
    });
    assert.ok(tied > 100, `the cases must exercise ties (${tied})`);
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
    t.diagnostic(`${backend}: ${CASES.length} cases (filter 2/3, stride 1/2, same/valid, 5x7 and 6x5, 3 channels) equal the reference`);
  }
});

test("AvgPoolGrad divides each window by its real pixels ('same' borders), equal to the AvgPool gradient and a float64 reference (every backend)", async (t) => {
  const rng = createRng(606);
  const dys = CASES.map((c) => Array.from({ length: info(c).outShape.reduce((p, d) => p * d, 1) }, () => rng.normal()));
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    // By hand: 3x3 input, 2x2 windows, stride 1, 'same': the windows cover 4, 2, 2 / 2, 4... real pixels.
    const hand = tf.tidy(() => {
      const input = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const dy = tf.onesLike(tf.avgPool(input, 2, 1, 'same'));
      return Array.from((tf.engine().runKernel('AvgPoolGrad', { dy, input }, { filterSize: 2, strides: 1, pad: 'same' }) as tf.Tensor).dataSync());
    });
    assert.deepEqual(hand, [0.25, 0.5, 0.75, 0.5, 1, 1.5, 0.75, 1.5, 2.25], `${backend}: by hand`);
    let worst = 0;
    CASES.forEach((c, k) => {
      const want = avgPoolGradReference(dys[k]!, c);
      const [kernel, grad] = tf.tidy(() => {
        const input = tf.zeros(c.shape);
        const dy = tf.tensor(dys[k]!, info(c).outShape);
        const dx = tf.engine().runKernel('AvgPoolGrad', { dy, input }, attrsOf(c) as tf.NamedAttrMap) as tf.Tensor;
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, c.filter, c.stride, c.pad), dy)))(input);
        return [Array.from(dx.dataSync()), Array.from(g.dataSync())];
      });
      worst = Math.max(worst, maxAbs(kernel!, want), maxAbs(grad!, want));
      assert.ok(maxAbs(kernel!, want) < 1e-6, `${backend} ${JSON.stringify(c)}: AvgPoolGrad vs reference ${maxAbs(kernel!, want)}`);
      assert.ok(maxAbs(grad!, want) < 1e-6, `${backend} ${JSON.stringify(c)}: AvgPool gradient vs reference ${maxAbs(grad!, want)}`);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
    t.diagnostic(`${backend}: worst |AvgPoolGrad - reference| ${worst.toExponential(2)} over ${CASES.length} cases (tolerance 1e-6)`);
  }
});

interface FdCase {
  readonly name: string;
  readonly f: MultiFn;
  readonly inputs: () => tf.Tensor[];
}

/** Σ w ⊙ K(u)² for each linear-in-u pool kernel K, the pooled input fixed (integers with ties). */
function poolFdCases(rng: Rng): FdCase[] {
  const out: FdCase[] = [];
  for (const c of CASES.filter((_, k) => k % 2 === 0)) {
    const g = info(c);
    const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
    const xv = Array.from({ length: size(c.shape) }, () => rng.int(5) - 2);
    const inShape = c.shape;
    const outShape = g.outShape;
    const wIn = Array.from({ length: size(inShape) }, () => rng.normal());
    const wOut = Array.from({ length: size(outShape) }, () => rng.normal());
    const uIn = Array.from({ length: size(inShape) }, () => rng.normal());
    const uOut = Array.from({ length: size(outShape) }, () => rng.normal());
    const label = `filter ${c.filter} stride ${c.stride} ${c.pad} ${c.shape.slice(1, 3).join('x')}`;
    const pooled = (): [tf.Tensor4D, tf.Tensor] => {
      const input = tf.tensor4d(xv, inShape);
      return [input, tf.maxPool(input, c.filter, c.stride, c.pad)];
    };
    const attrs = attrsOf(c) as tf.NamedAttrMap;
    out.push({
      name: `Σ w ⊙ MaxPoolGrad(dy)², ${label}`,
      f: ([dy]) => {
        const [input, output] = pooled();
        return tf.sum(tf.mul(tf.tensor(wIn, inShape), tf.square(tf.engine().runKernel('MaxPoolGrad', { dy: dy!, input, output }, attrs) as tf.Tensor)));
      },
      inputs: () => [tf.tensor(uOut, outShape)],
    });
    out.push({
      name: `Σ w ⊙ MetaLearnMaxPoolGather(dx)², ${label}`,
      f: ([dx]) => {
        const [input, output] = pooled();
        return tf.sum(tf.mul(tf.tensor(wOut, outShape), tf.square(tf.engine().runKernel('MetaLearnMaxPoolGather', { dx: dx!, input, output }, attrs) as tf.Tensor)));
      },
      inputs: () => [tf.tensor(uIn, inShape)],
    });
    out.push({
      name: `Σ w ⊙ AvgPoolGrad(dy)², ${label}`,
      f: ([dy]) => tf.sum(tf.mul(tf.tensor(wIn, inShape), tf.square(tf.engine().runKernel('AvgPoolGrad', { dy: dy!, input: tf.tensor4d(xv, inShape) }, attrs) as tf.Tensor))),
      inputs: () => [tf.tensor(uOut, outShape)],
    });
  }
  return out;
}

test('gradients of MaxPoolGrad, MetaLearnMaxPoolGather and AvgPoolGrad, first and second order, against central differences; zero w.r.t. the pooled input', async (t) => {
  const cases = poolFdCases(createRng(707));
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    let worstFirst = 0;
    let worstSecond = 0;
    cases.forEach((c, k) => {
      const xs = c.inputs();
      const e = derivativeErrors(c.f, xs, 2000 + k, 0.25);
      tf.dispose(xs);
      assert.ok(e.first < FD_TOL, `${backend} ${c.name}: first-order error ${e.first}`);
      assert.ok(e.second < FD_TOL, `${backend} ${c.name}: second-order error ${e.second}`);
      assert.ok(e.hvpScale > 0.1, `${backend} ${c.name}: Hessian-vector product ${e.hvpScale} should not vanish`);
      worstFirst = Math.max(worstFirst, e.first);
      worstSecond = Math.max(worstSecond, e.second);
    });
    // With respect to the pooled input (and output) the routing is piecewise constant: zero.
    const zero = tf.tidy(() => {
      const input = tf.tensor4d(Array.from({ length: 2 * 5 * 5 * 1 }, (_, i) => Math.sin(i)), [2, 5, 5, 1]);
      const output = tf.maxPool(input, 2, 2, 'same');
      const dy = tf.onesLike(output);
      const gMax = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.engine().runKernel('MaxPoolGrad', { dy, input: v, output }, { filterSize: 2, strides: 2, pad: 'same' }) as tf.Tensor)))(input);
      const gAvg = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.engine().runKernel('AvgPoolGrad', { dy, input: v }, { filterSize: 2, strides: 2, pad: 'same' }) as tf.Tensor)))(input);
      return [tf.max(tf.abs(gMax)).dataSync()[0]!, tf.max(tf.abs(gAvg)).dataSync()[0]!];
    });
    assert.deepEqual(zero, [0, 0], `${backend}: gradient w.r.t. the pooled input`);
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
    t.diagnostic(`${backend}: ${cases.length} cases, h = 0.25, worst relative error first ${worstFirst.toExponential(2)}, second ${worstSecond.toExponential(2)} (tolerance ${FD_TOL})`);
  }
});

test('registering the kernel fixes again is a no-op: same registry entries, AvgPoolGrad not rescaled twice', async () => {
  const names: Array<[string, string]> = [['Conv2DBackpropFilter', 'wasm'], ['Conv2DBackpropInput', 'wasm'], ['MaxPoolGrad', 'cpu'], ['MaxPoolGrad', 'wasm'], ['MetaLearnMaxPoolGather', 'cpu'], ['MetaLearnMaxPoolGather', 'wasm'], ['AvgPoolGrad', 'cpu'], ['AvgPoolGrad', 'wasm']];
  const kernels = names.map(([k, b]) => tf.getKernel(k, b));
  const grads = ['Conv2DBackpropFilter', 'MaxPoolGrad', 'MetaLearnMaxPoolGather', 'AvgPoolGrad'].map((k) => tf.getGradient(k));
  assert.ok(kernels.every((k) => k !== undefined) && grads.every((g) => g !== undefined));
  registerKernelFixes();
  registerKernelFixes();
  names.forEach(([k, b], i) => assert.equal(tf.getKernel(k, b), kernels[i], `${k} on ${b} replaced`));
  ['Conv2DBackpropFilter', 'MaxPoolGrad', 'MetaLearnMaxPoolGather', 'AvgPoolGrad'].forEach((k, i) => assert.equal(tf.getGradient(k), grads[i], `${k} gradient replaced`));
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const corner = tf.tidy(() => {
      const input = tf.zeros([1, 3, 3, 1]);
      return (tf.engine().runKernel('AvgPoolGrad', { dy: tf.ones([1, 3, 3, 1]), input }, { filterSize: 2, strides: 1, pad: 'same' }) as tf.Tensor).dataSync()[8]!;
    });
    assert.equal(corner, 2.25, `${backend}: the bottom-right pixel gets 1/4 + 1/2 + 1/2 + 1`);
  }
});
