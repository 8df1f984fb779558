/**
 * The one fast matrix product of tfjs-backend-wasm 4.22, reached directly: its C function
 * `BatchMatMul` runs XNNPACK's fully-connected operator only for `out = A B` with
 * `A: [1, M, K]`, `B: [1, K, N]` and no transposes; every other call falls to a scalar loop
 * (about 9-15 times slower at 512 x 512 on this machine). This module calls that fast path on
 * matrices anywhere in the wasm heap (a batch slice of a larger tensor, say) by registering
 * fresh tensor ids that are views of the heap, never copying.
 *
 * Fresh ids also avoid a stale-cache bug of the stock kernel: it caches the XNNPACK operator
 * (with B packed) under B's tensor id alone, so the same data reshaped (`[3, 2]` then `[6, 1]`,
 * one id) reuses the operator of the first shape and returns wrong values. A view id lives for
 * one product and its operator is deleted with it (the backend's disposal callback). Where B is
 * a whole tensor used untransposed, its own id may be passed instead ({@link weightsCacheId}),
 * so that a weight matrix used again (evaluation, support then query) is packed only once, as
 * in the stock kernel, but only ever under the one shape it was first packed with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';

/** The internals of tfjs-backend-wasm 4.22's `BackendWasm` that the fast kernels use. */
export interface WasmBackendInternals {
  readonly wasm: {
    cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
    readonly tfjs: {
      registerTensor(id: number, size: number, memoryOffset: number): void;
      disposeData(id: number): void;
    };
  };
  readonly dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** wasm's `BatchMatMul(aId, aShape, aRank, bId, bShape, bRank, transposeA, transposeB, outId)`. */
type RawBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

/** One wrapper per wasm module instance (a re-initialised backend gets a new module). */
const rawByModule = new WeakMap<object, RawBatchMatMul>();

function rawBatchMatMul(backend: WasmBackendInternals): RawBatchMatMul {
  let raw = rawByModule.get(backend.wasm);
  if (raw === undefined) {
    const argTypes = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
    raw = backend.wasm.cwrap('BatchMatMul', null, argTypes) as RawBatchMatMul;
    rawByModule.set(backend.wasm, raw);
  }
  return raw;
}

/** A shape as the bytes of an `Int32Array` (how wasm takes shapes). */
function shapeBytes(shape: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/**
 * The byte offset in the wasm heap of a tensor's first element.
 * @param backend - the wasm backend (`args.backend` of a kernel function).
 * @param info - a tensor of that backend.
 * @returns its `memoryOffset` (bytes).
 * @throws MetaLearnError `invalidArgument` when the backend holds no data for `info`.
 */
export function heapOffset(backend: WasmBackendInternals, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) {
    throw new MetaLearnError('invalidArgument', 'heapOffset: info must be a tensor of the wasm backend, got an unknown dataId');
  }
  return data.memoryOffset;
}

/** A float32 rank-3 tensor `[batch, rows, cols]` somewhere in the wasm heap. */
export interface HeapTensor3 {
  /** Byte offset of its first element. */
  readonly offset: number;
  readonly shape: readonly [number, number, number];
  /**
   * For B only: the backend's id of a tensor whose whole data this is, to use instead of a
   * fresh view id (XNNPACK's operator cache is keyed by it); from {@link weightsCacheId}.
   */
  readonly id?: number;
}

/** The `[K, N]` each tensor's data was first packed as by XNNPACK, by data id. */
const packedShapes = new WeakMap<tf.DataId, string>();

/**
 * The id under which B's XNNPACK operator may be cached across calls: B's own tensor id when
 * its data was never packed, or was packed as the same `[K, N]`; `undefined` (use a fresh view)
 * when the same data was packed under another shape (the stale-operator case).
 * @param backend - the wasm backend.
 * @param b - the tensor used untransposed, whole, as `B: [K, N]`.
 * @param k - `K`.
 * @param n - `N`.
 * @returns the id to pass as `b.id`, or `undefined`.
 */
export function weightsCacheId(backend: WasmBackendInternals, b: tf.TensorInfo, k: number, n: number): number | undefined {
  const data = backend.dataIdMap.get(b.dataId);
  if (data === undefined) return undefined;
  const key = `${k},${n}`;
  const first = packedShapes.get(b.dataId);
  if (first === undefined) packedShapes.set(b.dataId, key);
  else if (first !== key) return undefined;
  return data.id;
}

/**
 * Runs wasm's C `BatchMatMul` on views of the heap (fresh tensor ids registered for this one
 * call, then disposed with whatever operator XNNPACK built for them; B's own id when `b.id`):
 * out[t, i, j] = sum over l of op(A)[t_A, i, l] op(B)[t_B, l, j], op = transpose when asked,
 * t_A = t or 0 when A has one batch (likewise t_B). The C function takes XNNPACK's
 * fully-connected path only for one batch each and no transposes; otherwise its scalar loop.
 * @param backend - the wasm backend.
 * @param a - `A: [B_a, M, K]` (`[B_a, K, M]` when `transposeA`).
 * @param b - `B: [B_b, K, N]` (`[B_b, N, K]` when `transposeB`), `B_a = B_b` or one of them 1.
 * @param transposeA - whether A is stored transposed.
 * @param transposeB - whether B is stored transposed.
 * @param outOffset - byte offset of `out: float32 [max(B_a, B_b), M, N]`, overwritten.
 * @throws MetaLearnError `invalidArgument` when a dimension is not a positive integer or the
 *   batches are neither equal nor 1.
 */
export function wasmBatchMatMulOnViews(
  backend: WasmBackendInternals,
  a: HeapTensor3,
  b: HeapTensor3,
  transposeA: boolean,
  transposeB: boolean,
  outOffset: number,
): void {
  const dims = [...a.shape, ...b.shape];
  if (!dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new MetaLearnError('invalidArgument', `wasmBatchMatMulOnViews: shapes must be positive integers, got [${a.shape}] and [${b.shape}]`);
  }
  const [batchA, rowsA, colsA] = a.shape;
  const [batchB, rowsB, colsB] = b.shape;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    throw new MetaLearnError('invalidArgument', `wasmBatchMatMulOnViews: batches must be equal or 1, got ${batchA} and ${batchB}`);
  }
  const m = transposeA ? colsA : rowsA;
  const n = transposeB ? rowsB : colsB;
  const raw = rawBatchMatMul(backend);
  const { tfjs } = backend.wasm;
  const aId = backend.dataIdNextNumber++;
  const bId = b.id ?? backend.dataIdNextNumber++;
  const outId = backend.dataIdNextNumber++;
  tfjs.registerTensor(aId, batchA * rowsA * colsA, a.offset);
  if (b.id === undefined) tfjs.registerTensor(bId, batchB * rowsB * colsB, b.offset);
  tfjs.registerTensor(outId, Math.max(batchA, batchB) * m * n, outOffset);
  try {
    raw(aId, shapeBytes(a.shape), 3, bId, shapeBytes(b.shape), 3, transposeA, transposeB, outId);
  } finally {
    tfjs.disposeData(aId);
    if (b.id === undefined) tfjs.disposeData(bId);
    tfjs.disposeData(outId);
  }
}

/**
 * `out = A B` by XNNPACK on float32 row-major matrices in the wasm heap:
 * out[i, j] = sum over l < K of A[i, l] B[l, j], i < M, j < N
 * ({@link wasmBatchMatMulOnViews} with one batch and no transposes: the fast path).
 * @param backend - the wasm backend.
 * @param aOffset - byte offset of `A: float32 [M, K]`.
 * @param bOffset - byte offset of `B: float32 [K, N]`.
 * @param outOffset - byte offset of `out: float32 [M, N]`, overwritten.
 * @param m - `M >= 1`.
 * @param k - `K >= 1`.
 * @param n - `N >= 1`.
 * @param bId - optional id of the tensor whose whole data B is ({@link weightsCacheId}).
 * @throws MetaLearnError `invalidArgument` when a dimension is not a positive integer.
 */
export function xnnMatMulInto(
  backend: WasmBackendInternals,
  aOffset: number,
  bOffset: number,
  outOffset: number,
  m: number,
  k: number,
  n: number,
  bId?: number,
): void {
  const b: HeapTensor3 = bId === undefined ? { offset: bOffset, shape: [1, k, n] } : { offset: bOffset, shape: [1, k, n], id: bId };
  wasmBatchMatMulOnViews(backend, { offset: aOffset, shape: [1, m, k] }, b, false, false, outOffset);
}
