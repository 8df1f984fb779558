// Sum and Mean on every backend (cpu, wasm); on wasm, reductions over leading axes run without a
// transpose (kernel-reduce-leading-axes-wasm.ts), the rest go to tfjs's kernels:
// - every axis set of a rank-4 tensor (15 sets, negative and unsorted axes too), keepDims on and
//   off, odd sizes: equal to a float64 reference on each backend, wasm equal to cpu;
// - the column-sum loop (eight rows per pass) against a plain float64 loop at every row count
//   around its block size; int32 sums (original kernel) exact; no tensor or byte left behind;
// - gradients through sum and mean over leading axes (first and second order) against central
//   differences.
// Tolerance: float32 sums of R terms are within ~R u of sum |x| (u = 6e-8; R <= 630 here) when
// accumulated in float32 (tfjs's wasm kernel), far less in float64 (cpu and the new path): the
// test accepts 1e-5 of sum |x|. Finite differences: 2e-3 relative (engine-gradients-fd.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine } from '@metalearn/core';
import { columnSums, leadingAxesCount } from '../src/engine/kernels/kernel-reduce-leading-axes-wasm.js';
import { derivativeErrors, randn } from './engine-gradients-fd.js';

const backends = await availableBackends();
const SHAPE = [6, 7, 3, 5];

/** Every non-empty subset of the 4 axes, some written negative, some unsorted. */
const AXES: number[][] = [];
for (let mask = 1; mask < 16; mask++) {
  const axes = [0, 1, 2, 3].filter((a) => (mask >> a) & 1);
  AXES.push(mask % 3 === 0 ? axes.map((a) => a - 4) : mask % 5 === 0 ? [...axes].reverse() : axes);
}

/** float64 sums over `axes` and sum |x| per output entry (max). */
function reference(x: Float32Array, axes: number[], mean: boolean): { ref: Float64Array; scale: number } {
  const reduced = new Set(axes.map((a) => (a + 4) % 4));
  const keptDims = [0, 1, 2, 3].filter((d) => !reduced.has(d));
  const outSize = keptDims.reduce((p, d) => p * SHAPE[d]!, 1);
  const count = x.length / outSize;
  const ref = new Float64Array(outSize);
  const abs = new Float64Array(outSize);
  const strides = [SHAPE[1]! * SHAPE[2]! * SHAPE[3]!, SHAPE[2]! * SHAPE[3]!, SHAPE[3]!, 1];
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (const d of keptDims) o = o * SHAPE[d]! + (Math.floor(i / strides[d]!) % SHAPE[d]!);
    ref[o]! += x[i]!;
    abs[o]! += Math.abs(x[i]!);
  }
  if (mean) for (let o = 0; o < outSize; o++) { ref[o]! /= count; abs[o]! /= count; }
  return { ref, scale: Math.max(...abs) };
}

test('leadingAxesCount recognises exactly the leading-axes reductions', () => {
  assert.equal(leadingAxesCount([2, 3, 4], [0]), 1);
  assert.equal(leadingAxesCount([2, 3, 4], [1, 0]), 2);
  assert.equal(leadingAxesCount([2, 3, 4], [-3, -2]), 2);
  assert.equal(leadingAxesCount([2, 3, 4], [0, 0, 1]), 2);
  assert.equal(leadingAxesCount([2, 3, 4], [0, 1, 2]), 0, 'all axes: already innermost, original kernel');
  assert.equal(leadingAxesCount([2, 3, 4], [1]), 0);
  assert.equal(leadingAxesCount([2, 3, 4], [0, 2]), 0);
  assert.equal(leadingAxesCount([2, 3, 4], [2]), 0);
});

test('columnSums (eight rows per pass, then the rest) equals the row-by-row float64 sum for every row count around the block size', () => {
  const rng = createRng(504);
  for (const rows of [0, 1, 7, 8, 9, 16, 17, 31]) {
    for (const cols of [1, 3, 64]) {
      const x = Float32Array.from({ length: rows * cols }, () => rng.normal());
      for (const scale of [1, 0.25]) {
        const got = columnSums(x, rows, cols, scale);
        for (let c = 0; c < cols; c++) {
          let s = 0;
          for (let r = 0; r < rows; r++) s += x[r * cols + c]!;
          assert.ok(Math.abs(got[c]! - scale * s) <= 1e-12 * Math.max(1, Math.abs(s)), `rows ${rows}, cols ${cols}, column ${c}: ${got[c]} vs ${scale * s}`);
        }
      }
    }
  }
});

test('sum and mean over every axis set, keepDims on and off, equal a float64 reference on each backend, and wasm equals cpu', async (t) => {
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const rng = createRng(501);
  const x = Float32Array.from({ length: SHAPE.reduce((p, d) => p * d, 1) }, () => rng.normal() + 0.5);
  const results: Record<string, Float32Array[]> = {};
  const cases = AXES.flatMap((axes) => [false, true].flatMap((keepDims) => (['sum', 'mean'] as const).map((op) => ({ axes, keepDims, op }))));
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory();
    results[backend] = cases.map((c) =>
      tf.tidy(() => {
        const input = tf.tensor(x, SHAPE);
        const out = c.op === 'sum' ? tf.sum(input, c.axes, c.keepDims) : tf.mean(input, c.axes, c.keepDims);
        const reduced = new Set(c.axes.map((a) => (a + 4) % 4));
        const expectedShape = SHAPE.flatMap((d, i) => (reduced.has(i) ? (c.keepDims ? [1] : []) : [d]));
        assert.deepEqual(out.shape, expectedShape, `${backend} ${JSON.stringify(c)}`);
        return out.dataSync() as Float32Array;
      }),
    );
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, `${backend}: leaked tensors`);
    assert.equal(after.numBytes, before.numBytes, `${backend}: leaked bytes`);
  }
  let worst = 0;
  let worstCpu = 0;
  let leading = 0;
  cases.forEach((c, i) => {
    if (leadingAxesCount(SHAPE, c.axes) > 0) leading++;
    const { ref, scale } = reference(x, c.axes, c.op === 'mean');
    for (const backend of backends) {
      const got = results[backend]![i]!;
      let err = 0;
      for (let j = 0; j < ref.length; j++) err = Math.max(err, Math.abs(got[j]! - ref[j]!));
      worst = Math.max(worst, err / scale);
      assert.ok(err / scale < 1e-5, `${backend} ${JSON.stringify(c)}: relative error ${err / scale}`);
    }
    let diff = 0;
    for (let j = 0; j < ref.length; j++) diff = Math.max(diff, Math.abs(results['cpu']![i]![j]! - results['wasm']![i]![j]!));
    worstCpu = Math.max(worstCpu, diff / scale);
    assert.ok(diff / scale < 1e-5, `${JSON.stringify(c)}: wasm vs cpu ${diff / scale}`);
  });
  assert.ok(leading >= 12, `leading-axes cases covered: ${leading}`);
  t.diagnostic(`${cases.length} cases (${leading} over leading axes); worst error vs float64 ${worst.toExponential(2)} of sum |x|, wasm vs cpu ${worstCpu.toExponential(2)} (tolerance 1e-5)`);
});

test('int32 sums over leading axes stay exact (original kernel) on every backend', async () => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const got = tf.tidy(() => tf.sum(tf.tensor([[1, 2, 3], [40, 50, 60]], [2, 3], 'int32'), 0));
    assert.equal(got.dtype, 'int32');
    assert.deepEqual(Array.from(got.dataSync()), [41, 52, 63]);
    got.dispose();
  }
});

test('gradients through sum and mean over leading axes, first and second order, match central differences on every backend', async (t) => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    const rng = createRng(502);
    const x = randn(rng, [4, 5, 3, 6], 0.5);
    const c = randn(rng, [6]);
    // Batch-norm-like: mean and variance over the leading axes, then a smooth scalar.
    const f = (xs: tf.Tensor[]): tf.Scalar => {
      const mu = tf.mean(xs[0]!, [0, 1, 2]);
      const variance = tf.mean(tf.square(tf.sub(xs[0]!, mu)), [0, 1, 2], true);
      return tf.sum(tf.mul(c, tf.tanh(tf.add(tf.sum(tf.square(xs[0]!), [0, 1]), tf.reshape(variance, [1, 6])))));
    };
    const e = derivativeErrors(f, [x], 503);
    assert.ok(e.first < 2e-3 && e.second < 2e-3 && e.hvpScale > 1e-3, `${backend}: first ${e.first}, second ${e.second}, |Hv| ${e.hvpScale}`);
    x.dispose();
    c.dispose();
    assert.equal(tf.memory().numTensors, before);
    t.diagnostic(`${backend}: first-order ${e.first.toExponential(2)}, second-order ${e.second.toExponential(2)} (tolerance 2e-3)`);
  }
});
