/**
 * `BatchMatMul` for the `wasm` backend with every call on XNNPACK's fast path. The stock
 * tfjs-backend-wasm 4.22 kernel is fast only for a single untransposed product; any transpose
 * (so every matmul of a backward pass) or batch > 1 runs a scalar loop about 9-15 times slower.
 *
 * out[..., i, j] = sum over l of op(a)[..., i, l] op(b)[..., l, j], op = transpose when asked,
 * batch dimensions broadcast as in NumPy. Each transposed operand is first transposed
 * explicitly by wasm's `Transpose` (O(size), against the product's O(M K N)); then
 * - when b has a single batch, all of a's batches are one product `[B_a M, K] x [K, N]`;
 * - otherwise one product per output batch, on views of the operands' and output's heap memory
 *   (no copies), with broadcast batch indices.
 * Products too small for XNNPACK's fixed cost (under {@link SMALL_PRODUCT_MACS} multiply-adds
 * each, where the scalar loop wins) go to wasm's scalar loop, still on fresh view ids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { callKernel } from './backend-io.js';
import { heapOffset, wasmBatchMatMulOnViews, weightsCacheId, xnnMatMulInto, type WasmBackendInternals } from './xnn-matmul-wasm.js';

/** The attributes of `BatchMatMul` (tfjs's `BatchMatMulAttrs`). */
interface BatchMatMulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const BYTES_PER_FLOAT32 = 4;

/**
 * Below this many multiply-adds per product (M K N) wasm's scalar loop is as fast as XNNPACK
 * with its fixed cost (transposes, operator creation, ~5 us): measured 16^3 even, 8^3 scalar
 * 2x faster, 32^3 XNNPACK 5x faster (transposed operands).
 */
export const SMALL_PRODUCT_MACS = 4096;

/**
 * The flat batch index of an operand for each flat output batch index, under broadcasting.
 * @param outBatch - the output's batch shape `[d_0, ..., d_{r-1}]`.
 * @param batch - the operand's batch shape (rank <= r; missing leading dims and dims of size 1
 *   broadcast).
 * @returns `Int32Array [prod(outBatch)]`.
 */
function broadcastBatchIndices(outBatch: readonly number[], batch: readonly number[]): Int32Array {
  const r = outBatch.length;
  const padded = [...new Array<number>(r - batch.length).fill(1), ...batch];
  const strides = new Array<number>(r).fill(0);
  let stride = 1;
  for (let d = r - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : stride;
    stride *= padded[d]!;
  }
  const total = tf.util.sizeFromShape([...outBatch]);
  const out = new Int32Array(total);
  for (let t = 0; t < total; t++) {
    let rest = t;
    let index = 0;
    for (let d = r - 1; d >= 0; d--) {
      const size = outBatch[d]!;
      index += (rest % size) * strides[d]!;
      rest = Math.floor(rest / size);
    }
    out[t] = index;
  }
  return out;
}

/**
 * The matrix product on `wasm`, fast for every transpose and batch combination.
 * @param args - `inputs.a: float32 [...batchA, M, K]` (`[..., K, M]` when `attrs.transposeA`),
 *   `inputs.b: float32 [...batchB, K, N]` (`[..., N, K]` when `attrs.transposeB`), `backend`
 *   (the wasm backend), `attrs` `{ transposeA, transposeB }`.
 * @returns `out: float32 [...broadcast(batchA, batchB), M, N]`.
 * @throws MetaLearnError `unsupported` for a dtype other than float32 (as the stock kernel).
 * @throws MetaLearnError `invalidArgument` when the inner dimensions differ, a rank is < 2, or
 *   the batch shapes do not broadcast.
 */
export const batchMatMulWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  const wasm = backend as unknown as WasmBackendInternals;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new MetaLearnError('unsupported', `batchMatMulWasm: inputs a and b must be float32, got ${a.dtype} and ${b.dtype}`);
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) {
    throw new MetaLearnError('invalidArgument', `batchMatMulWasm: inputs a and b must have rank >= 2, got [${a.shape}] and [${b.shape}]`);
  }
  const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const kB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  if (k !== kB) {
    throw new MetaLearnError(
      'invalidArgument',
      `batchMatMulWasm: inner dimensions must match, got a [${a.shape}] (transposeA ${transposeA}) and b [${b.shape}] (transposeB ${transposeB})`,
    );
  }
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  } catch {
    throw new MetaLearnError('invalidArgument', `batchMatMulWasm: batch shapes must broadcast, got a [${a.shape}] and b [${b.shape}]`);
  }
  const batchA = tf.util.sizeFromShape(batchShapeA);
  const batchB = tf.util.sizeFromShape(batchShapeB);
  const batchOut = tf.util.sizeFromShape(outBatch);
  const out = wasm.makeOutput([...outBatch, m, n], 'float32');
  if (batchOut * m * n === 0) return out;
  if (k === 0) {
    (backend as unknown as { typedArrayFromHeap(info: tf.TensorInfo): Float32Array }).typedArrayFromHeap(out).fill(0);
    return out;
  }

  const temps: tf.TensorInfo[] = [];
  try {
    const outOffset = heapOffset(wasm, out);
    const indexA = broadcastBatchIndices(outBatch, batchShapeA);
    const indexB = broadcastBatchIndices(outBatch, batchShapeB);
    const aBytes = m * k * BYTES_PER_FLOAT32;
    const bBytes = k * n * BYTES_PER_FLOAT32;
    const outBytes = m * n * BYTES_PER_FLOAT32;
    const productMacs = (batchB === 1 ? batchA : 1) * m * k * n;
    if (productMacs < SMALL_PRODUCT_MACS) {
      // The scalar loop, on the operands as stored: one call when the flat batches are equal or
      // one of them is 1 (what wasm's loop broadcasts), else one call per output batch.
      const aStored: [number, number] = transposeA ? [k, m] : [m, k];
      const bStored: [number, number] = transposeB ? [n, k] : [k, n];
      const aOffset = heapOffset(wasm, a);
      const bOffset = heapOffset(wasm, b);
      if (batchA === batchB || batchA === 1 || batchB === 1) {
        const bId = !transposeA && !transposeB && batchA === 1 && batchB === 1 ? weightsCacheId(wasm, b, k, n) : undefined;
        const bView = { offset: bOffset, shape: [batchB, ...bStored] as [number, number, number] };
        wasmBatchMatMulOnViews(wasm, { offset: aOffset, shape: [batchA, ...aStored] }, bId === undefined ? bView : { ...bView, id: bId }, transposeA, transposeB, outOffset);
      } else {
        for (let t = 0; t < batchOut; t++) {
          wasmBatchMatMulOnViews(
            wasm,
            { offset: aOffset + indexA[t]! * aBytes, shape: [1, ...aStored] },
            { offset: bOffset + indexB[t]! * bBytes, shape: [1, ...bStored] },
            transposeA,
            transposeB,
            outOffset + t * outBytes,
          );
        }
      }
      return out;
    }
    let aRows = a;
    if (transposeA) {
      aRows = callKernel('Transpose', 'wasm', backend, { x: { ...a, shape: [batchA, k, m] } }, { perm: [0, 2, 1] });
      temps.push(aRows);
    }
    let bRows = b;
    if (transposeB) {
      bRows = callKernel('Transpose', 'wasm', backend, { x: { ...b, shape: [batchB, n, k] } }, { perm: [0, 2, 1] });
      temps.push(bRows);
    }
    const aOffset = heapOffset(wasm, aRows);
    const bOffset = heapOffset(wasm, bRows);
    if (batchB === 1) {
      // batchOut = batchA and out's batches are in a's order: one product of all a's rows. An
      // untransposed b is a whole tensor: its packed operator may be cached under its own id.
      xnnMatMulInto(wasm, aOffset, bOffset, outOffset, batchA * m, k, n, transposeB ? undefined : weightsCacheId(wasm, b, k, n));
    } else {
      for (let t = 0; t < batchOut; t++) {
        xnnMatMulInto(wasm, aOffset + indexA[t]! * aBytes, bOffset + indexB[t]! * bBytes, outOffset + t * outBytes, m, k, n);
      }
    }
  } catch (err) {
    wasm.disposeData(out.dataId);
    throw err;
  } finally {
    for (const t of temps) wasm.disposeData(t.dataId);
  }
  return out;
};
