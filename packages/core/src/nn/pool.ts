/**
 * Max pooling as a pure function, built from `reshape` and `max` so that it is twice
 * differentiable (tfjs's `maxPool` backward kernel, `MaxPoolGrad`, has no gradient of its own,
 * which would make second-order MAML through a max-pooled network fail).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * 2x2 max pooling with stride 2 and `'valid'` padding (an odd last row or column is dropped, as
 * TensorFlow's `max_pool(..., 'VALID')` does): `y[b, i, j, c] = max_{u, v in {0,1}} x[b, 2i+u, 2j+v, c]`.
 * The gradient flows to the maximum of each window (to every maximum on an exact tie).
 * @param x - float32 `[B, H, W, C]`, `H, W >= 2`.
 * @returns float32 `[B, floor(H/2), floor(W/2), C]`.
 */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const h2 = Math.floor(h / 2);
    const w2 = Math.floor(w / 2);
    const cropped = h === 2 * h2 && w === 2 * w2 ? x : tf.slice(x, [0, 0, 0, 0], [b, 2 * h2, 2 * w2, c]);
    return tf.max(tf.reshape(cropped, [b, h2, 2, w2, 2, c]), [2, 4]) as tf.Tensor4D;
  });
}
