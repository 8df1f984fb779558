/**
 * The `MaxPoolGrad` kernel, replaced on `cpu` and `wasm` by one implementation so that both
 * route the gradient with the same tie rule ({@link maxPoolPositions}: first maximum in
 * row-major window order). tfjs-backend-wasm 4.22's kernel starts its running maximum at the
 * smallest POSITIVE float and keeps the LAST maximum, so it drops the gradient of every window
 * whose maximum is <= 0 and disagrees with `cpu` on ties.
 *
 * The kernel is a single pass over the input (memory-bound: O(N Ho Wo C fh fw) comparisons and
 * N Ho Wo C additions), reading the wasm heap in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeFloat32Output, readFloat32, type HostBackendName } from './backend-io.js';
import { maxPoolPositions } from './max-pool-positions.js';

/** The attributes shared by `MaxPoolGrad` and {@link MAX_POOL_GATHER}. */
export interface MaxPoolGradAttrs {
  readonly filterSize: number | [number, number];
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The pool geometry of a `MaxPoolGrad`-like kernel call.
 * @param inputShape - the pooled input's shape `[N, H, W, C]`.
 * @param attrs - the pool attributes.
 * @returns tfjs's 2-D pool info (dilation 1, NHWC).
 */
export function poolInfo(inputShape: number[], attrs: MaxPoolGradAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    inputShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/**
 * Max-pool gradient: scatters each output gradient to its window's first maximum.
 *
 * dx[i] = sum over output elements o with position(o) = i of dy[o].
 * @param backendName - `cpu` or `wasm` (the kernel is registered once for each).
 * @returns the kernel function: inputs `dy: float32 [N, Ho, Wo, C]`, `input: float32 [N, H, W, C]`
 *   (`output`, the pooled values, is accepted and not needed); attrs {@link MaxPoolGradAttrs};
 *   output `dx: float32 [N, H, W, C]`.
 * @see TensorFlow's `MaxPoolGrad` op (the same contract; the tie rule is metalearn's).
 */
export function maxPoolGradKernel(backendName: HostBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const info = poolInfo(input.shape, attrs as unknown as MaxPoolGradAttrs);
    const positions = maxPoolPositions(readFloat32(backendName, backend, input), info);
    return makeFloat32Output(backendName, backend, [...input.shape], (dx) => {
      const dyValues = readFloat32(backendName, backend, dy);
      for (let o = 0; o < positions.length; o++) {
        const i = positions[o]!;
        if (i >= 0) dx[i] = dx[i]! + dyValues[o]!;
      }
    });
  };
}
