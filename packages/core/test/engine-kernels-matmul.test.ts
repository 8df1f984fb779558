// The matrix-product kernels on every backend (cpu, wasm); on wasm they are replaced by
// kernel-batch-matmul-wasm.ts (XNNPACK for every transpose and batch) and
// kernel-fused-matmul-wasm.ts:
// - tf.matMul on 168 cases (4 transpose combinations x 6 batch layouts, broadcasting included,
//   x 7 sizes from 1x1x1 to odd sizes far above the scalar-loop threshold) equals a float64
//   reference on each backend and wasm equals cpu (cpu's own kernel pairs broadcast batches
//   wrongly when neither flat batch is 1, e.g. [2, 1] with [3]: kernel-batch-matmul-cpu.ts);
// - the same data used under two shapes (tfjs 4.22's wasm kernel reuses a stale XNNPACK
//   operator there), zero-sized products, int32 refused;
// - tf.fused.matMul with every activation, biases of rank 1 and 2, transposes and batches,
//   wasm against cpu;
// - gradients through matMul (all transposes, broadcast batches), first and second order,
//   against central finite differences;
// - no tensor or byte left behind (tf.memory), and no wasm heap growth over 60 products whose
//   XNNPACK operators (packed weights, 256 KB each; per-call views, and operators cached under a
//   weight tensor's own id) would leak 15 MB if never deleted;
// - the doctor checks (matmul-checks.ts), and idempotent registration.
//
// Tolerances: a float32 product of K terms is within ~K u (u = 6e-8) of the float64 one relative
// to S = max sum_l |a_il b_lj| (worst case; random signs give ~sqrt(K) u): the tests accept
// 1e-5 S with K <= 75 (K u = 4.5e-6). Finite differences: relative 2e-3 (engine-gradients-fd.ts;
// a wrong derivative is off by O(1)), h = 1e-2 on a tanh of the product (truncation ~h^2 f''').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine, MetaLearnError, runCheck, type Rng } from '@metalearn/core';
import { SMALL_PRODUCT_MACS, batchMatMulWasm } from '../src/engine/kernels/kernel-batch-matmul-wasm.js';
import { fusedMatMulWasm } from '../src/engine/kernels/kernel-fused-matmul-wasm.js';
import { matmulChecks } from '../src/engine/kernels/matmul-checks.js';
import { registerKernelFixes } from '../src/engine/kernels/register.js';
import { derivativeErrors, randn } from './engine-gradients-fd.js';

const backends = await availableBackends();
const REL_TOL = 1e-5;
const FD_TOL = 2e-3;

function normals(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

interface MatMulCase {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly batchA: number[];
  readonly batchB: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

function shapesOf(c: MatMulCase): { a: number[]; b: number[]; out: number[] } {
  const a = [...c.batchA, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
  const b = [...c.batchB, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(c.batchA, c.batchB);
  return { a, b, out: [...outBatch, c.m, c.n] };
}

/** Flat batch index of an operand with batch shape `batch` for each flat output batch index. */
function batchIndices(outBatch: number[], batch: number[]): number[] {
  const padded = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
  const total = outBatch.reduce((p, d) => p * d, 1);
  return Array.from({ length: total }, (_, t) => {
    let rest = t;
    let index = 0;
    let stride = 1;
    for (let d = outBatch.length - 1; d >= 0; d--) {
      const coord = rest % outBatch[d]!;
      rest = Math.floor(rest / outBatch[d]!);
      if (padded[d] !== 1) index += coord * stride;
      stride *= padded[d]!;
    }
    return index;
  });
}

/** The float64 product and S = max_ij sum_l |a_il b_lj|. */
function reference(c: MatMulCase, a: Float32Array, b: Float32Array): { ref: Float64Array; scale: number } {
  const { m, k, n } = c;
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(c.batchA, c.batchB);
  const ia = batchIndices(outBatch, c.batchA);
  const ib = batchIndices(outBatch, c.batchB);
  const ref = new Float64Array(ia.length * m * n);
  let scale = 0;
  ia.forEach((ta, t) => {
    const tb = ib[t]!;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let l = 0; l < k; l++) {
        const av = a[ta * m * k + (c.transposeA ? l * m + i : i * k + l)]!;
        const bv = b[tb * k * n + (c.transposeB ? j * k + l : l * n + j)]!;
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      ref[(t * m + i) * n + j] = s;
      scale = Math.max(scale, abs);
    }
  });
  return { ref, scale: Math.max(scale, 1e-30) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const SIZES: [number, number, number][] = [[1, 1, 1], [3, 5, 2], [17, 13, 11], [37, 29, 23], [5, 64, 75], [75, 64, 5], [65, 3, 33]];
const BATCHES: [number[], number[]][] = [[[], []], [[3], [3]], [[4], []], [[], [4]], [[2, 1], [3]], [[1, 3], [2, 1]]];
const CASES: MatMulCase[] = [];
for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  for (const [batchA, batchB] of BATCHES) {
    for (const [m, k, n] of SIZES) CASES.push({ m, k, n, batchA, batchB, transposeA, transposeB });
  }
}

/** Which path the wasm kernel takes (mirrors its rule), to prove every path is covered. */
function pathOf(c: MatMulCase): 'scalar' | 'xnn-single' | 'xnn-per-batch' {
  const batchA = c.batchA.reduce((p, d) => p * d, 1);
  const batchB = c.batchB.reduce((p, d) => p * d, 1);
  const macs = (batchB === 1 ? batchA : 1) * c.m * c.k * c.n;
  if (macs < SMALL_PRODUCT_MACS) return 'scalar';
  return batchB === 1 ? 'xnn-single' : 'xnn-per-batch';
}

test('matMul: every transpose, batch layout (broadcasting) and size equals a float64 reference on each backend, and wasm equals cpu', async (t) => {
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const paths = new Map<string, number>();
  for (const c of CASES) paths.set(`${pathOf(c)} ${c.transposeA ? 'T' : 'N'}${c.transposeB ? 'T' : 'N'}`, (paths.get(`${pathOf(c)} ${c.transposeA ? 'T' : 'N'}${c.transposeB ? 'T' : 'N'}`) ?? 0) + 1);
  assert.equal(paths.size, 12, `every path x transpose combination covered: ${[...paths.keys()].join(', ')}`);
  const rng = createRng(201);
  const inputs = CASES.map((c) => {
    const s = shapesOf(c);
    return { a: normals(rng, s.a.reduce((p, d) => p * d, 1)), b: normals(rng, s.b.reduce((p, d) => p * d, 1)) };
  });
  const results: Record<string, Float32Array[]> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory();
    results[backend] = CASES.map((c, i) => {
      const s = shapesOf(c);
      return tf.tidy(() => {
        const out = tf.matMul(tf.tensor(inputs[i]!.a, s.a), tf.tensor(inputs[i]!.b, s.b), c.transposeA, c.transposeB);
        assert.deepEqual(out.shape, s.out, JSON.stringify(c));
        return out.dataSync() as Float32Array;
      });
    });
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, `${backend}: matMul leaked tensors`);
    assert.equal(after.numBytes, before.numBytes, `${backend}: matMul leaked bytes`);
  }
  let worstRef = 0;
  let worstCpu = 0;
  CASES.forEach((c, i) => {
    const { ref, scale } = reference(c, inputs[i]!.a, inputs[i]!.b);
    for (const backend of backends) {
      const err = maxAbsDiff(results[backend]![i]!, ref) / scale;
      worstRef = Math.max(worstRef, err);
      assert.ok(err < REL_TOL, `${backend} ${JSON.stringify(c)}: relative error ${err} vs float64`);
    }
    const diff = maxAbsDiff(results['cpu']![i]!, results['wasm']![i]!) / scale;
    worstCpu = Math.max(worstCpu, diff);
    assert.ok(diff < REL_TOL, `${JSON.stringify(c)}: wasm vs cpu relative difference ${diff}`);
  });
  t.diagnostic(`${CASES.length} cases (${[...paths].map(([p, n]) => `${p}: ${n}`).join(', ')}); worst relative error vs float64 ${worstRef.toExponential(2)}, wasm vs cpu ${worstCpu.toExponential(2)} (tolerance ${REL_TOL})`);
});

test('matMul on wasm: one tensor used under two shapes (same data id) gives both right products (tfjs 4.22 reuses a stale operator)', async () => {
  await initEngine({ backend: 'wasm', log: () => {} });
  const rng = createRng(202);
  for (const [rows, cols] of [[3, 2], [32, 48]] as const) {
    const w = normals(rng, rows * cols);
    const x1 = normals(rng, 5 * rows);
    const x2 = normals(rng, 5 * cols);
    const [y1, y2] = tf.tidy(() => {
      const wt = tf.tensor(w, [rows, cols]);
      return [tf.matMul(tf.tensor(x1, [5, rows]), wt).dataSync(), tf.matMul(tf.tensor(x2, [5, cols]), tf.reshape(wt, [cols, rows])).dataSync()];
    });
    const c1: MatMulCase = { m: 5, k: rows, n: cols, batchA: [], batchB: [], transposeA: false, transposeB: false };
    const c2: MatMulCase = { m: 5, k: cols, n: rows, batchA: [], batchB: [], transposeA: false, transposeB: false };
    const r1 = reference(c1, x1, w);
    const r2 = reference(c2, x2, w);
    assert.ok(maxAbsDiff(y1, r1.ref) / r1.scale < REL_TOL, `[${rows}, ${cols}] first product`);
    assert.ok(maxAbsDiff(y2, r2.ref) / r2.scale < REL_TOL, `[${cols}, ${rows}] second product, relative error ${maxAbsDiff(y2, r2.ref) / r2.scale}`);
  }
});

test('matMul on wasm: zero-sized products, and int32 refused with MetaLearnError unsupported', async () => {
  await initEngine({ backend: 'wasm', log: () => {} });
  const before = tf.memory().numTensors;
  const zeros = tf.tidy(() => tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])).arraySync());
  assert.deepEqual(zeros, [[0, 0, 0], [0, 0, 0]]);
  const empty = tf.tidy(() => tf.matMul(tf.zeros([4, 0, 5]), tf.zeros([4, 5, 3])).shape);
  assert.deepEqual(empty, [4, 0, 3]);
  assert.throws(
    () => tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[1], [2]], [2, 1], 'int32'))),
    (err: unknown) => MetaLearnError.is(err, 'unsupported'),
  );
  assert.equal(tf.memory().numTensors, before);
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;

test('fused.matMul: every activation, bias of rank 1 and 2, transposes and batches, wasm equals cpu', async (t) => {
  interface FusedCase { m: number; k: number; n: number; batch: number; transposeA: boolean; transposeB: boolean; biasRank: 0 | 1 | 2; activation: (typeof ACTIVATIONS)[number] }
  const cases: FusedCase[] = [];
  let idx = 0;
  for (const activation of ACTIVATIONS) {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const [m, k, n, batch] of [[3, 4, 5, 1], [19, 17, 23, 1], [21, 16, 13, 3]] as const) {
        cases.push({ m, k, n, batch, transposeA, transposeB, biasRank: ([0, 1, 2] as const)[idx++ % 3]!, activation });
      }
    }
  }
  const rng = createRng(203);
  const inputs = cases.map((c) => ({
    a: normals(rng, c.batch * c.m * c.k),
    b: normals(rng, c.batch * c.k * c.n),
    bias: normals(rng, c.m * c.n),
    alpha: normals(rng, c.n),
  }));
  const results: Record<string, Float32Array[]> = {};
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory();
    results[backend] = cases.map((c, i) =>
      tf.tidy(() => {
        const aShape: [number, number, number] = c.transposeA ? [c.batch, c.k, c.m] : [c.batch, c.m, c.k];
        const bShape: [number, number, number] = c.transposeB ? [c.batch, c.n, c.k] : [c.batch, c.k, c.n];
        const bias = c.biasRank === 0 ? undefined : c.biasRank === 1 ? tf.tensor(inputs[i]!.bias.subarray(0, c.n), [c.n]) : tf.tensor(inputs[i]!.bias, [c.m, c.n]);
        const out = tf.fused.matMul({
          a: tf.tensor(inputs[i]!.a, aShape) as tf.Tensor3D,
          b: tf.tensor(inputs[i]!.b, bShape) as tf.Tensor3D,
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          ...(bias === undefined ? {} : { bias }),
          activation: c.activation,
          ...(c.activation === 'prelu' ? { preluActivationWeights: tf.tensor(inputs[i]!.alpha, [c.n]) } : {}),
          ...(c.activation === 'leakyrelu' ? { leakyreluAlpha: 0.15 } : {}),
        });
        assert.deepEqual(out.shape, [c.batch, c.m, c.n]);
        return out.dataSync() as Float32Array;
      }),
    );
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, `${backend}: fused.matMul leaked tensors`);
    assert.equal(after.numBytes, before.numBytes, `${backend}: fused.matMul leaked bytes`);
  }
  let worst = 0;
  cases.forEach((c, i) => {
    // The activations are Lipschitz with constant max(1, |alpha|) (1 but for prelu), so the outputs
    // differ by at most that times the products' rounding, ~K u (S + max |bias|).
    const product: MatMulCase = { m: c.m, k: c.k, n: c.n, batchA: [c.batch], batchB: [c.batch], transposeA: c.transposeA, transposeB: c.transposeB };
    const lipschitz = c.activation === 'prelu' ? Math.max(1, ...Array.from(inputs[i]!.alpha, Math.abs)) : 1;
    const scale = lipschitz * (reference(product, inputs[i]!.a, inputs[i]!.b).scale + Math.max(...Array.from(inputs[i]!.bias, Math.abs)));
    const diff = maxAbsDiff(results['cpu']![i]!, results['wasm']![i]!) / scale;
    worst = Math.max(worst, diff);
    assert.ok(diff < REL_TOL, `${JSON.stringify(c)}: wasm vs cpu relative difference ${diff}`);
  });
  t.diagnostic(`${cases.length} cases; worst wasm vs cpu difference relative to Lip (S + max |bias|) ${worst.toExponential(2)} (tolerance ${REL_TOL})`);
});

test('gradients through matMul (every transpose, broadcast batches), first and second order, match central differences on every backend', async (t) => {
  const shapes: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [];
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const [m, k, n] = [19, 17, 15]; // M K N = 4845 >= SMALL_PRODUCT_MACS: the backward products run on XNNPACK
    shapes.push({ a: tA ? [k, m] : [m, k], b: tB ? [n, k] : [k, n], tA, tB });
    shapes.push({ a: [2, 1, ...(tA ? [k, m] : [m, k])], b: [3, ...(tB ? [n, k] : [k, n])], tA, tB });
  }
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    let worstFirst = 0;
    let worstSecond = 0;
    shapes.forEach((s, i) => {
      const rng = createRng(300 + i);
      const [a, b] = [randn(rng, s.a, 0.5), randn(rng, s.b, 0.5)];
      const outShape = tf.tidy(() => tf.matMul(a, b, s.tA, s.tB).shape);
      const c = randn(rng, outShape);
      const f = (xs: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(c, tf.tanh(tf.mul(0.3, tf.matMul(xs[0]!, xs[1]!, s.tA, s.tB)))));
      const e = derivativeErrors(f, [a, b], 400 + i);
      worstFirst = Math.max(worstFirst, e.first);
      worstSecond = Math.max(worstSecond, e.second);
      assert.ok(e.first < FD_TOL, `${backend} ${JSON.stringify(s)}: first-order error ${e.first}`);
      assert.ok(e.second < FD_TOL && e.hvpScale > 1e-2, `${backend} ${JSON.stringify(s)}: second-order error ${e.second} (|Hv| ${e.hvpScale})`);
      tf.dispose([a, b, c]);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: gradient checks leaked tensors`);
    t.diagnostic(`${backend}: ${shapes.length} cases, worst first-order ${worstFirst.toExponential(2)}, second-order ${worstSecond.toExponential(2)} (tolerance ${FD_TOL})`);
  }
});

test('wasm: products on XNNPACK leave no tensor, byte or heap growth behind (operators deleted with their view ids)', async (t) => {
  await initEngine({ backend: 'wasm', log: () => {} });
  const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
  const rng = createRng(204);
  const a = randn(rng, [2, 256, 256]);
  const b = randn(rng, [2, 256, 256]);
  const run = (): void => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) tf.matMul(a, b, tA, tB).dispose();
    tf.matMul(a, tf.slice(b, [0, 0, 0], [1, 256, 256]), true, true).dispose(); // b with one batch
    // A fresh untransposed b: its operator is cached under b's own id, deleted when b is disposed.
    tf.matMul(tf.reshape(tf.slice(a, [0, 0, 0], [1, 256, 256]), [256, 256]), tf.reshape(tf.slice(b, [1, 0, 0], [1, 256, 256]), [256, 256])).dispose();
  };
  for (let i = 0; i < 3; i++) tf.tidy(run); // warm up the allocator
  const before = tf.memory();
  const heapBefore = heap();
  for (let i = 0; i < 6; i++) tf.tidy(run); // 6 x 10 = 60 XNNPACK operators, 256 KB of packed weights each
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  const grown = heap() - heapBefore;
  assert.ok(grown < 4 * 2 ** 20, `wasm heap grew by ${grown} bytes (a leak of the operators would be ~15 MB)`);
  t.diagnostic(`wasm heap growth over 60 XNNPACK products: ${grown} bytes`);
  tf.dispose([a, b]);
});

test('the matmul doctor checks pass on every backend, leave no tensor behind; registration is idempotent', async (t) => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    for (const check of matmulChecks) {
      const r = await runCheck(check);
      assert.ok(r.pass, `${backend} ${r.name}: value ${r.value}, error ${r.error} (tolerance ${r.tolerance}) ${r.message ?? ''}`);
      t.diagnostic(`${backend} ${r.name}: error ${r.error!.toExponential(2)} (tolerance ${r.tolerance})`);
    }
    assert.equal(tf.memory().numTensors, before, `${backend}: checks leaked tensors`);
  }
  registerKernelFixes();
  const cpuKernel = tf.getKernel('BatchMatMul', 'cpu');
  registerKernelFixes();
  assert.equal(tf.getKernel('BatchMatMul', 'cpu'), cpuKernel, 'the cpu wrapper is not wrapped twice');
  assert.equal(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc, batchMatMulWasm);
  assert.equal(tf.getKernel('_FusedMatMul', 'wasm')?.kernelFunc, fusedMatMulWasm);
});
