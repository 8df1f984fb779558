/**
 * The fully connected layer as a pure function.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `y = x W + b`.
 * @param x - float32 `[B, I]`.
 * @param kernel - `W`: float32 `[I, O]`.
 * @param bias - `b`: float32 `[O]`, optional.
 * @returns float32 `[B, O]`.
 */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(x, kernel) as tf.Tensor2D;
  return bias === undefined ? y : (tf.add(y, bias) as tf.Tensor2D);
}
