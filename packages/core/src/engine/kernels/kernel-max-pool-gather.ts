/**
 * `MetaLearnMaxPoolGather`, a kernel added to `cpu` and `wasm`: the adjoint of `MaxPoolGrad`.
 * It reads, for every window of a max pool, the value of a tensor at the window's first maximum
 * ({@link maxPoolPositions}). It is the gradient of `MaxPoolGrad` with respect to `dy`, and
 * `MaxPoolGrad` is its gradient, so max pooling is differentiable to any order.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { makeFloat32Output, readFloat32, type HostBackendName } from './backend-io.js';
import { maxPoolPositions } from './max-pool-positions.js';
import { poolInfo, type MaxPoolGradAttrs } from './kernel-max-pool-grad.js';

/** The kernel name (not a TensorFlow op). */
export const MAX_POOL_GATHER = 'MetaLearnMaxPoolGather';

/**
 * The gather at max-pool positions.
 *
 * out[o] = dx[position(o)] (0 for a window over no pixel), o = (n, p, q, c).
 * @param backendName - `cpu` or `wasm`.
 * @returns the kernel function: inputs `dx: float32 [N, H, W, C]` (a tensor shaped like the
 *   pooled input), `input: float32 [N, H, W, C]` (the pooled input), `output` (the pooled values,
 *   kept for the gradient); attrs {@link MaxPoolGradAttrs}; output `float32 [N, Ho, Wo, C]`.
 */
export function maxPoolGatherKernel(backendName: HostBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dx, input } = inputs as { dx: tf.TensorInfo; input: tf.TensorInfo };
    const info = poolInfo(input.shape, attrs as unknown as MaxPoolGradAttrs);
    const positions = maxPoolPositions(readFloat32(backendName, backend, input), info);
    return makeFloat32Output(backendName, backend, [...info.outShape], (out) => {
      const dxValues = readFloat32(backendName, backend, dx);
      for (let o = 0; o < positions.length; o++) {
        const i = positions[o]!;
        if (i >= 0) out[o] = dxValues[i]!;
      }
    });
  };
}
