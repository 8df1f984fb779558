/**
 * Self-checks of the kernel fixes, run by `metalearn doctor` on the active backend (each well
 * under 100 ms):
 *
 * | check                                                        | tfjs 4.22 gives          | tolerance |
 * | ------------------------------------------------------------ | ------------------------ | --------- |
 * | Conv2DBackpropFilter (stride 2, 'same', 7x5) vs float64      | throws on wasm           | 1e-5 rel. |
 * | Conv2DBackpropInput (stride 2, 'same', 7x5) vs float64       | right, 10x slower on wasm | 1e-5 rel. |
 * | MaxPoolGrad: negative window, ties, 'same' border vs by hand | wasm: wrong (3 of 4)     | 0         |
 * | AvgPoolGrad 2x2 stride 1 'same' on 3x3 vs by hand            | 1 instead of 2.25 (corner) | 1e-6    |
 * | Hessian-vector product through conv + maxPool vs differences | throws (no gradient)     | 1e-3 rel. |
 * | Hessian-vector product through strided conv + 'same' avgPool | throws (no gradient)     | 1e-3 rel. |
 *
 * The finite differences are central, h = 1e-2, of a function that is quadratic on each linear
 * piece of the pool (no truncation error; float32 rounding ~ 6e-8 |F| / h ≈ 1e-5 relative), at
 * fixed inputs (seed 11) where no max-pool window changes its maximum within ±h v (if one did,
 * the difference quotient would be off by O(1): the check would fail, not pass wrongly).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../random.js';
import type { EngineCheck } from '../check.js';

type Check = ReturnType<EngineCheck['run']>;

/** Max |a - b| over two equally long arrays. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The float64 filter gradient: dW[a, b, i, o] = Σ_{n,p,q} x[n, p s + a - pt, q s + b - pl, i] dy[n, p, q, o]. */
function filterGradReference(x: Float32Array, xShape: number[], dy: Float32Array, info: tf.backend_util.Conv2DInfo): Float64Array {
  const [n, h, w, ci] = xShape as [number, number, number, number];
  const { filterHeight: fh, filterWidth: fw, outChannels: co, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const out = new Float64Array(fh * fw * ci * co);
  for (let m = 0; m < n; m++) for (let p = 0; p < ho; p++) for (let q = 0; q < wo; q++) for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) {
    const r = p * sh + a - info.padInfo.top;
    const t = q * sw + b - info.padInfo.left;
    if (r < 0 || r >= h || t < 0 || t >= w) continue;
    for (let i = 0; i < ci; i++) {
      const xv = x[((m * h + r) * w + t) * ci + i]!;
      for (let o = 0; o < co; o++) out[((a * fw + b) * ci + i) * co + o]! += xv * dy[((m * ho + p) * wo + q) * co + o]!;
    }
  }
  return out;
}

function conv2dBackpropFilterCheck(): Check {
  const rng = createRng(7);
  const xShape = [2, 7, 5, 3];
  const filterShape: [number, number, number, number] = [3, 3, 3, 4];
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, 2, 1, 'same');
  const x = Float32Array.from({ length: 2 * 7 * 5 * 3 }, () => rng.normal());
  const dy = Float32Array.from({ length: tf.util.sizeFromShape(info.outShape) }, () => rng.normal());
  const got = tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, info.outShape) }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape });
    return (out as tf.Tensor).dataSync();
  });
  const ref = filterGradReference(x, xShape, dy, info);
  const scale = Math.max(1, ...Array.from(ref, Math.abs));
  return { value: maxAbsDiff(got, ref) / scale, expected: 0 };
}

/** The float64 input gradient: dx[n, p s + a - pt, q s + b - pl, i] += dy[n, p, q, o] W[a, b, i, o]. */
function inputGradReference(dy: Float32Array, filter: Float32Array, xShape: number[], info: tf.backend_util.Conv2DInfo): Float64Array {
  const [n, h, w, ci] = xShape as [number, number, number, number];
  const { filterHeight: fh, filterWidth: fw, outChannels: co, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const out = new Float64Array(n * h * w * ci);
  for (let m = 0; m < n; m++) for (let p = 0; p < ho; p++) for (let q = 0; q < wo; q++) for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) {
    const r = p * sh + a - info.padInfo.top;
    const t = q * sw + b - info.padInfo.left;
    if (r < 0 || r >= h || t < 0 || t >= w) continue;
    for (let i = 0; i < ci; i++) {
      for (let o = 0; o < co; o++) out[((m * h + r) * w + t) * ci + i]! += dy[((m * ho + p) * wo + q) * co + o]! * filter[((a * fw + b) * ci + i) * co + o]!;
    }
  }
  return out;
}

function conv2dBackpropInputCheck(): Check {
  const rng = createRng(8);
  const xShape: [number, number, number, number] = [2, 7, 5, 3];
  const filterShape: [number, number, number, number] = [3, 3, 3, 4];
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 2, 1, 'same');
  const dy = Float32Array.from({ length: tf.util.sizeFromShape(info.outShape) }, () => rng.normal());
  const filter = Float32Array.from({ length: 3 * 3 * 3 * 4 }, () => rng.normal());
  const got = tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, info.outShape), filter: tf.tensor(filter, filterShape) }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: xShape });
    return (out as tf.Tensor).dataSync();
  });
  const ref = inputGradReference(dy, filter, xShape, info);
  const scale = Math.max(1, ...Array.from(ref, Math.abs));
  return { value: maxAbsDiff(got, ref) / scale, expected: 0 };
}

/**
 * A 4x4 one-channel input pooled 3x3, stride 2, 'same' (pad top/left 0, bottom/right 1):
 * window (0,0) ties at 1 → the first (row 2, col 0); window (0,1) has maximum 0 <= 0, tied →
 * (2, 2); windows (1,0) and (1,1) (the latter half padding) both pick the 2 at (3, 2).
 */
function maxPoolGradCheck(): Check {
  const x = [-3, -1, -2, -1, -5, -6, -7, -8, 1, 1, 0, 0, 1, 1, 2, -1];
  const expected = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 2, 0];
  const got = tf.tidy(() => {
    const input = tf.tensor4d(x, [1, 4, 4, 1]);
    const output = tf.maxPool(input, 3, 2, 'same');
    return tf.engine().runKernel('MaxPoolGrad', { dy: tf.onesLike(output), input, output }, { filterSize: 3, strides: 2, pad: 'same' }) as tf.Tensor;
  });
  const values = got.dataSync();
  got.dispose();
  return { value: maxAbsDiff(values, expected), expected: 0 };
}

/**
 * A 3x3 input pooled 2x2, stride 1, 'same' (pad bottom/right 1): the windows cover 4, 2 or 1
 * real pixels, so dx[h, w] = Σ over windows containing (h, w) of 1 / count.
 */
function avgPoolGradCheck(): Check {
  const expected = [0.25, 0.5, 0.75, 0.5, 1, 1.5, 0.75, 1.5, 2.25];
  const got = tf.tidy(() => {
    const input = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const output = tf.avgPool(input, 2, 1, 'same');
    return tf.engine().runKernel('AvgPoolGrad', { dy: tf.onesLike(output), input }, { filterSize: 2, strides: 1, pad: 'same' }) as tf.Tensor;
  });
  const values = got.dataSync();
  got.dispose();
  return { value: maxAbsDiff(values, expected), expected: 0 };
}

/**
 * Relative error of the Hessian-vector product of F(w) = Σ c ⊙ pool(conv(x, w))² (double
 * backward: Conv2DBackpropFilter's and the pool gradients' gradients) against the central
 * difference of its gradient, (∇F(w + h v) - ∇F(w - h v)) / 2h, h = 1e-2.
 */
function hvpCheck(pool: (t: tf.Tensor4D) => tf.Tensor4D, stride: number): Check {
  const rng = createRng(11);
  const xShape = [1, 6, 5, 2];
  const wShape = [3, 3, 2, 2];
  const x = Array.from({ length: 60 }, () => rng.normal());
  const w0 = Array.from({ length: 36 }, () => 0.5 * rng.normal());
  const v0 = Array.from({ length: 36 }, () => rng.normal());
  return tf.tidy(() => {
    const input = tf.tensor4d(x, xShape as [number, number, number, number]);
    const w = tf.tensor4d(w0, wShape as [number, number, number, number]);
    const v = tf.tensor4d(v0, wShape as [number, number, number, number]);
    const pooledShape = pool(tf.conv2d(input, w, stride, 'same')).shape;
    const c = tf.tensor(Array.from({ length: tf.util.sizeFromShape(pooledShape) }, (_, i) => Math.cos(i)), pooledShape);
    const f = (u: tf.Tensor): tf.Scalar => tf.sum(tf.mul(c, tf.square(pool(tf.conv2d(input, u as tf.Tensor4D, stride, 'same')))));
    const grad = tf.grad(f);
    const hvp = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(grad(u), v)))(w);
    const h = 1e-2;
    const fd = tf.div(tf.sub(grad(tf.add(w, tf.mul(v, h))), grad(tf.sub(w, tf.mul(v, h)))), 2 * h);
    const scale = Math.max(1, tf.max(tf.abs(fd)).dataSync()[0]!);
    return { value: tf.max(tf.abs(tf.sub(hvp, fd))).dataSync()[0]! / scale, expected: 0 };
  });
}

/** The kernel checks of `metalearn doctor` (the table above). */
export const kernelChecks: EngineCheck[] = [
  { name: 'Conv2DBackpropFilter (stride 2, same, 7x5x3 -> 3x3x3x4) vs float64 reference, relative', tolerance: 1e-5, run: conv2dBackpropFilterCheck },
  { name: 'Conv2DBackpropInput (stride 2, same, 4x3x4 -> 7x5x3) vs float64 reference, relative', tolerance: 1e-5, run: conv2dBackpropInputCheck },
  { name: "MaxPoolGrad 3x3 stride 2 'same': negative window, ties (first maximum), padded border, vs hand values", tolerance: 0, run: maxPoolGradCheck },
  { name: "AvgPoolGrad 2x2 stride 1 'same': border windows divided by their real pixels, vs hand values", tolerance: 1e-6, run: avgPoolGradCheck },
  { name: 'Hessian-vector product through conv + maxPool 2x2 vs central differences, relative', tolerance: 1e-3, run: () => hvpCheck((t) => tf.maxPool(t, 2, 2, 'valid'), 1) },
  { name: "Hessian-vector product through conv stride 2 + avgPool 3x3 'same' vs central differences, relative", tolerance: 1e-3, run: () => hvpCheck((t) => tf.avgPool(t, 3, 2, 'same'), 2) },
];
