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
 * one product and its operator is deleted with it (the backend's disposal callback).
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

/** The shape `[1, rows, cols]` as the bytes of an `Int32Array` (how wasm takes shapes). */
function shapeBytes(rows: number, cols: number): Uint8Array {
  return new Uint8Array(new Int32Array([1, rows, cols]).buffer);
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

/**
 * `out = A B` by XNNPACK on float32 row-major matrices in the wasm heap:
 * out[i, j] = sum over l < K of A[i, l] B[l, j], i < M, j < N.
 * Registers three view ids (A: M K, B: K N, out: M N elements at the given byte offsets) for
 * the one call and disposes them (and the operator XNNPACK built for B) after it.
 * @param backend - the wasm backend.
 * @param aOffset - byte offset of `A: float32 [M, K]`.
 * @param bOffset - byte offset of `B: float32 [K, N]`.
 * @param outOffset - byte offset of `out: float32 [M, N]`, written (not accumulated).
 * @param m - `M >= 1`.
 * @param k - `K >= 1`.
 * @param n - `N >= 1`.
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
): void {
  if (!(Number.isInteger(m) && Number.isInteger(k) && Number.isInteger(n) && m >= 1 && k >= 1 && n >= 1)) {
    throw new MetaLearnError('invalidArgument', `xnnMatMulInto: m, k, n must be positive integers, got ${m}, ${k}, ${n}`);
  }
  const raw = rawBatchMatMul(backend);
  const { tfjs } = backend.wasm;
  const aId = backend.dataIdNextNumber++;
  const bId = backend.dataIdNextNumber++;
  const outId = backend.dataIdNextNumber++;
  tfjs.registerTensor(aId, m * k, aOffset);
  tfjs.registerTensor(bId, k * n, bOffset);
  tfjs.registerTensor(outId, m * n, outOffset);
  try {
    raw(aId, shapeBytes(m, k), 3, bId, shapeBytes(k, n), 3, false, false, outId);
  } finally {
    tfjs.disposeData(aId);
    tfjs.disposeData(bId);
    tfjs.disposeData(outId);
  }
}
