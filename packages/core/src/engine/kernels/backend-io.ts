/**
 * Raw tensor memory access for the kernels written in TypeScript, on the two backends that keep
 * float32 data in this process: `cpu` (a `Float32Array` per tensor) and `wasm` (a region of the
 * WebAssembly heap). A kernel reads its inputs as typed arrays and allocates its output here,
 * without copying on `wasm` (views into the heap).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';

/** The backends whose memory the TypeScript kernels can read and write directly. */
export type HostBackendName = 'cpu' | 'wasm';

/** The part of tfjs-backend-wasm's `BackendWasm` that the kernels use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** The part of tfjs-backend-cpu's `MathBackendCPU` that the kernels use. */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

/**
 * Reads a float32 tensor's values. On `wasm` the array is a view into the heap: use it before
 * allocating anything else on that backend (an allocation may grow and detach the heap).
 * @param backendName - the backend that owns `info`.
 * @param backend - that backend's instance (`args.backend` of a kernel function).
 * @param info - a float32 tensor of that backend, any shape, `size` elements.
 * @returns its values, `Float32Array [size]`.
 * @throws MetaLearnError `invalidArgument` when `info` is not float32.
 */
export function readFloat32(backendName: HostBackendName, backend: unknown, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') {
    throw new MetaLearnError('invalidArgument', `readFloat32: info must be float32, got ${info.dtype}`);
  }
  if (backendName === 'wasm') return (backend as WasmBackendLike).typedArrayFromHeap(info) as Float32Array;
  return (backend as CpuBackendLike).data.get(info.dataId).values as Float32Array;
}

/**
 * Allocates a zero-filled float32 output tensor on the backend and lets `fill` write it.
 * On `wasm` the inputs' views must be taken AFTER this allocation; pass them through `read`.
 * @param backendName - the backend to allocate on.
 * @param backend - that backend's instance.
 * @param shape - the output shape.
 * @param fill - writes the output values; `out: Float32Array [prod(shape)]`, zero on entry.
 * @returns the output tensor info (owned by the caller, as a kernel output).
 */
export function makeFloat32Output(
  backendName: HostBackendName,
  backend: unknown,
  shape: number[],
  fill: (out: Float32Array) => void,
): tf.TensorInfo {
  if (backendName === 'wasm') {
    const wasm = backend as WasmBackendLike;
    const info = wasm.makeOutput(shape, 'float32');
    const out = wasm.typedArrayFromHeap(info) as Float32Array;
    out.fill(0);
    fill(out);
    return info;
  }
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  fill(out);
  return (backend as CpuBackendLike).makeTensorInfo(shape, 'float32', out);
}

/**
 * Allocates a float32 tensor holding `values` (a constant made inside a kernel).
 * @param backendName - the backend to allocate on.
 * @param backend - that backend's instance.
 * @param shape - its shape.
 * @param values - `Float32Array [prod(shape)]`.
 * @returns the tensor info; free it with {@link disposeInfo}.
 */
export function makeFloat32Constant(backendName: HostBackendName, backend: unknown, shape: number[], values: Float32Array): tf.TensorInfo {
  return makeFloat32Output(backendName, backend, shape, (out) => out.set(values));
}

/**
 * Frees an intermediate tensor made inside a kernel (by this module or by another kernel's
 * function called directly).
 * @param backendName - the backend that owns `info`.
 * @param backend - that backend's instance.
 * @param info - the intermediate to free.
 */
export function disposeInfo(backendName: HostBackendName, backend: unknown, info: tf.TensorInfo): void {
  if (backendName === 'wasm') (backend as WasmBackendLike).disposeData(info.dataId);
  else (backend as CpuBackendLike).disposeIntermediateTensorInfo(info);
}

/**
 * Runs another registered kernel's function directly (inside a kernel, where calling ops would
 * record them on the gradient tape), on the same backend.
 * @param kernelName - the kernel to run, e.g. `'Conv2D'`.
 * @param backendName - the backend it is registered for.
 * @param backend - that backend's instance.
 * @param inputs - its inputs, as tensor infos of that backend.
 * @param attrs - its attributes.
 * @returns its single output (owned by the caller).
 * @throws MetaLearnError `unsupported` when the kernel is not registered for the backend.
 */
export function callKernel(
  kernelName: string,
  backendName: string,
  backend: unknown,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  const config = tf.getKernel(kernelName, backendName);
  if (config === undefined) {
    throw new MetaLearnError('unsupported', `callKernel: kernel ${kernelName} is not registered for backend ${backendName}`);
  }
  const out = config.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) {
    throw new MetaLearnError('unsupported', `callKernel: kernel ${kernelName} returned ${out.length} outputs, expected 1`);
  }
  return out as tf.TensorInfo;
}
