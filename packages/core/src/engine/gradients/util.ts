/**
 * Helpers shared by the gradient re-registrations. Every helper is built from differentiable tfjs
 * ops, so a gradient written with them is itself recorded on the tape and differentiable again.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The single upstream gradient of a single-output kernel. */
export function single(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? dy[0]! : dy;
}

/**
 * Sums a broadcast gradient back to the shape of the input that was broadcast.
 * Maths: for `z = f(a, b)` with `a` broadcast to `z.shape`, `∂L/∂a = Σ_{broadcast axes} ∂L/∂z`.
 * @param g - float32 gradient of the broadcast output.
 * @param shape - the input's shape.
 * @returns float32 tensor of `shape`.
 */
export function reduceToShape(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape as number[], g.shape);
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, shape as number[]);
}

/** float32 zeros shaped like `t` (a gradient must be float32 even for an int or bool input). */
export function zerosFor(t: tf.Tensor): tf.Tensor {
  return tf.zeros(t.shape, 'float32');
}

/** `cond` (bool) as float32 0/1. */
export function mask(cond: tf.Tensor): tf.Tensor {
  return tf.cast(cond, 'float32');
}

/** `x` as float32 (a no-op for float32 input). */
export function asFloat(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}
