/**
 * `Identity` (`tf.clone`, and the engine's own copies during back-propagation) for the `wasm`
 * backend without a copy. tfjs-backend-wasm 4.22 allocates a new heap buffer and copies every
 * element (0.6 ms for a `[75, 14, 14, 64]` activation; ~2000 calls per Conv-4 meta-step). tfjs
 * never writes into a tensor's memory after its kernel returned (a `Variable.assign` swaps data
 * ids), so, as tfjs's cpu kernel does, the output can share the input's data: one more
 * reference (`incRef`), freed when the last tensor holding it is disposed.
 *
 * Kernels that import wasm's own `identity` function internally keep the copying version: only
 * calls through the registry (the engine) come here.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's `BackendWasm` used here. */
interface RefCountedBackend {
  incRef(dataId: tf.DataId): void;
}

/**
 * y = x, sharing x's data.
 * @param args - `inputs.x` (any dtype and shape), `backend` (the wasm backend).
 * @returns a tensor info with x's data id, shape and dtype (the data's reference count raised).
 */
export const identityWasm: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as unknown as RefCountedBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
