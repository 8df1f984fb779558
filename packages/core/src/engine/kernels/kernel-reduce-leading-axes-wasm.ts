/**
 * `Sum` and `Mean` over leading axes on the `wasm` backend without a transpose. tfjs-backend-wasm
 * 4.22 reduces only innermost axes, so a reduction over the leading ones (batch norm's moments
 * and every broadcast gradient of a per-channel tensor: `[N, H, W, C]` over `[N, H, W]`) first
 * transposes the whole input (7 ms for `[75, 14, 14, 64]`, 4x the reduction itself). Viewing x
 * as a matrix `[R, C]` (R = product of the reduced leading dims, C of the kept trailing ones):
 *
 * sum[c] = sum over r < R of x[r, c],  mean[c] = sum[c] / R,
 *
 * accumulated in float64 in one pass over the heap (as tfjs's cpu kernel accumulates in a
 * JavaScript number): 0.5 ms for `[75, 14, 14, 64]`. Other calls (other axes, non-float32 dtypes) go to the original kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeFloat32Output, readFloat32 } from './backend-io.js';

/** The attributes of `Sum` and `Mean` (tfjs's `SumAttrs`, `MeanAttrs`). */
interface ReductionAttrs {
  readonly axis: number | number[];
  readonly keepDims: boolean;
}

/**
 * The number k of leading axes reduced, when `axis` is exactly `[0, ..., k-1]` with 0 < k < rank;
 * else 0.
 */
export function leadingAxesCount(shape: readonly number[], axis: number | number[]): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((p, q) => p - q);
  if (axes.length === 0 || axes.length >= shape.length) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/**
 * Column sums of a row-major matrix, in float64: out[c] = scale * sum over r of x[r, c].
 * Eight rows are added per pass over the accumulator (a quarter of the loads and stores of the
 * accumulator: measured 4x faster than one row per pass on [14700, 64]).
 * @param x - `float32 [rows, cols]`, row-major.
 * @param rows - the number of rows.
 * @param cols - the number of columns.
 * @param scale - multiplies every sum (1 for a sum, 1 / rows for a mean).
 * @returns `Float64Array [cols]`.
 */
export function columnSums(x: Float32Array, rows: number, cols: number, scale: number): Float64Array {
  const acc = new Float64Array(cols);
  const [c1, c2, c3, c4, c5, c6, c7] = [cols, 2 * cols, 3 * cols, 4 * cols, 5 * cols, 6 * cols, 7 * cols];
  let r = 0;
  let base = 0;
  for (; r + 8 <= rows; r += 8, base += 8 * cols) {
    for (let c = 0; c < cols; c++) {
      const k = base + c;
      acc[c]! += x[k]! + x[k + c1]! + (x[k + c2]! + x[k + c3]!) + (x[k + c4]! + x[k + c5]! + (x[k + c6]! + x[k + c7]!));
    }
  }
  for (; r < rows; r++, base += cols) {
    for (let c = 0; c < cols; c++) acc[c]! += x[base + c]!;
  }
  if (scale !== 1) for (let c = 0; c < cols; c++) acc[c]! *= scale;
  return acc;
}

/**
 * Wraps wasm's `Sum` or `Mean` with the leading-axes path, keeping its setup and dispose.
 * @param original - the registered wasm `Sum` or `Mean` kernel config.
 * @returns a kernel config for the same kernel name and backend: `inputs.x: [d_0, ..., d_{n-1}]`,
 *   `attrs.axis` (reduced axes), `attrs.keepDims`; out `[d_k, ..., d_{n-1}]` (with k leading 1s
 *   when `keepDims`).
 */
export function leadingAxesReductionWasm(original: tf.KernelConfig): tf.KernelConfig {
  const mean = original.kernelName === 'Mean';
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as ReductionAttrs;
    const k = x.dtype === 'float32' ? leadingAxesCount(x.shape, axis) : 0;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    if (k === 0 || rows === 0) return original.kernelFunc(args);
    const kept = x.shape.slice(k);
    const cols = tf.util.sizeFromShape(kept);
    const outShape = keepDims ? [...new Array<number>(k).fill(1), ...kept] : kept;
    return makeFloat32Output('wasm', args.backend, outShape, (out) => {
      const values = readFloat32('wasm', args.backend, x);
      out.set(columnSums(values, rows, cols, mean ? 1 / rows : 1));
    });
  };
  const config: tf.KernelConfig = { kernelName: original.kernelName, backendName: 'wasm', kernelFunc };
  if (original.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  if (original.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
  return config;
}
