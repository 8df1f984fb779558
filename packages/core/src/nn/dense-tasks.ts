/**
 * The fully connected layer over the tasks of a meta-batch, each task with its own weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';

/**
 * `y[t] = x[t] W_t + b_t` for every task `t`, as one batched product.
 *
 * A per-task kernel `[T, I, O]` gives the batched matrix product `[T, B, I] x [T, I, O]`; a shared
 * kernel `[I, O]` (the same for every task) gives one product `[T B, I] x [I, O]`. A per-task bias
 * `[T, O]` is added as `[T, 1, O]`, a shared one `[O]` as is.
 * @param x - float32 `[T, B, I]`.
 * @param kernel - `W`: float32 `[T, I, O]` (per task) or `[I, O]` (shared).
 * @param bias - `b`: float32 `[T, O]` (per task) or `[O]` (shared); optional.
 * @param caller - for messages, e.g. `'mlp.applyTasks'`.
 * @returns float32 `[T, B, O]`.
 * @throws MetaLearnError `shapeMismatch` when a shape does not fit `x`.
 * @example denseTasks(tf.zeros([25, 10, 40]), tf.zeros([25, 40, 40]), tf.zeros([25, 40]), 'f') // [25, 10, 40]
 */
export function denseTasks(x: tf.Tensor3D, kernel: tf.Tensor, bias: tf.Tensor | undefined, caller: string): tf.Tensor3D {
  const [t, b, i] = x.shape;
  const perTaskKernel = kernel.rank === 3 && kernel.shape[0] === t && kernel.shape[1] === i;
  if (!perTaskKernel && !(kernel.rank === 2 && kernel.shape[0] === i)) {
    throw new MetaLearnError('shapeMismatch', `${caller}: kernel must be float32 [${t}, ${i}, O] (per task) or [${i}, O] (shared) for inputs [${x.shape.join(', ')}], got [${kernel.shape.join(', ')}]`);
  }
  const o = kernel.shape[kernel.rank - 1]!;
  if (bias !== undefined && !((bias.rank === 2 && bias.shape[0] === t && bias.shape[1] === o) || (bias.rank === 1 && bias.shape[0] === o))) {
    throw new MetaLearnError('shapeMismatch', `${caller}: bias must be float32 [${t}, ${o}] (per task) or [${o}] (shared), got [${bias.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const y = perTaskKernel ? (tf.matMul(x, kernel as tf.Tensor3D) as tf.Tensor3D) : tf.reshape(tf.matMul(tf.reshape(x, [t * b, i]), kernel as tf.Tensor2D), [t, b, o]);
    if (bias === undefined) return y as tf.Tensor3D;
    return tf.add(y, bias.rank === 2 ? tf.reshape(bias, [t, 1, o]) : bias) as tf.Tensor3D;
  });
}
