/**
 * Thin differentiable ops over the pool kernels, for the gradient functions: each runs one
 * kernel through the engine (so it is recorded on the tape and has its own gradient), passing
 * the pool attributes through unchanged. Shapes are NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAX_POOL_GATHER } from './kernel-max-pool-gather.js';

/** Attributes shared by the pool kernels. */
export interface PoolAttrs {
  readonly filterSize: number | [number, number];
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function run(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function poolAttrs(attrs: PoolAttrs): PoolAttrs {
  return { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode };
}

/**
 * Max-pool gradient (`MaxPoolGrad`): each window's gradient goes to its first maximum.
 * @param dy - `float32 [N, Ho, Wo, C]`.
 * @param input - the pooled input, `float32 [N, H, W, C]`.
 * @param output - the pooled values, `float32 [N, Ho, Wo, C]`.
 * @param attrs - the pool's attributes.
 * @returns `dx: float32 [N, H, W, C]`.
 */
export function maxPoolGrad(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor, attrs: PoolAttrs): tf.Tensor {
  return run('MaxPoolGrad', { dy, input, output }, poolAttrs(attrs));
}

/**
 * The adjoint of {@link maxPoolGrad}: out[n, p, q, c] = dx at window (p, q)'s first maximum.
 * @param dx - `float32 [N, H, W, C]`.
 * @param input - the pooled input, `float32 [N, H, W, C]`.
 * @param output - the pooled values, `float32 [N, Ho, Wo, C]`.
 * @param attrs - the pool's attributes.
 * @returns `float32 [N, Ho, Wo, C]`.
 */
export function maxPoolGather(dx: tf.Tensor, input: tf.Tensor, output: tf.Tensor, attrs: PoolAttrs): tf.Tensor {
  return run(MAX_POOL_GATHER, { dx, input, output }, poolAttrs(attrs));
}

/**
 * Average pooling, each window divided by the number of real pixels it covers.
 * @param x - `float32 [N, H, W, C]`.
 * @param attrs - the pool's attributes.
 * @returns `float32 [N, Ho, Wo, C]`.
 */
export function avgPool(x: tf.Tensor, attrs: PoolAttrs): tf.Tensor {
  return run('AvgPool', { x }, poolAttrs(attrs));
}

/**
 * Average-pool gradient (`AvgPoolGrad`), the adjoint of {@link avgPool}:
 * dx[n, h, w, c] = sum over windows (p, q) containing (h, w) of dy[n, p, q, c] / count(p, q).
 * @param dy - `float32 [N, Ho, Wo, C]`.
 * @param input - the pooled input (only its shape is used), `float32 [N, H, W, C]`.
 * @param attrs - the pool's attributes.
 * @returns `dx: float32 [N, H, W, C]`.
 */
export function avgPoolGrad(dy: tf.Tensor, input: tf.Tensor, attrs: PoolAttrs): tf.Tensor {
  return run('AvgPoolGrad', { dy, input }, poolAttrs(attrs));
}
