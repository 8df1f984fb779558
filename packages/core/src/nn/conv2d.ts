/**
 * The 2-D convolution layer as a pure function (NHWC, TensorFlow's conventions).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `y[b, i, j, f] = sum_{u, v, c} x[b, s*i + u - p, s*j + v - p, c] * K[u, v, c, f] + bias[f]`.
 * With `'same'` padding the output is `ceil(H / s) x ceil(W / s)` (TensorFlow pads
 * `max((out - 1) s + k - H, 0)` rows, the smaller half on top); with `'valid'` it is
 * `ceil((H - k + 1) / s)`.
 * @param x - float32 `[B, H, W, C_in]`.
 * @param kernel - float32 `[k, k, C_in, C_out]`.
 * @param stride - `s`, the same along both spatial axes.
 * @param padding - `'same'` or `'valid'`.
 * @param bias - float32 `[C_out]`, optional.
 * @returns float32 `[B, H', W', C_out]`.
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor, stride: number, padding: 'same' | 'valid', bias?: tf.Tensor): tf.Tensor4D {
  const y = tf.conv2d(x, kernel as tf.Tensor4D, stride, padding);
  return bias === undefined ? y : (tf.add(y, bias) as tf.Tensor4D);
}
