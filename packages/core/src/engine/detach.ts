/**
 * A tape-free alias of a tensor, for first-order inner loops (first-order MAML, first-order
 * CAVIA): one helper in core, so every algorithm package uses the same one.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A new tensor with the values of `x` that no gradient tape connects to `x` (PyTorch's
 * `x.detach()`). It wraps the same backend data without copying (what tfjs's `Identity` kernel
 * does: the backend's reference count of the data is incremented), but it is made outside any
 * kernel, so tfjs records no tape node for it. When the data lives on another backend than the
 * current one, it falls back to a copy through `dataSync`.
 *
 * Why not core's `stopGradient`: that op also makes `∂y/∂x = 0`, but it is recorded on the outer
 * tape, so every op computed from its output (a first-order inner loop's forward and backward
 * passes) stays on the tape and is back-propagated through — with zeros, at full second-order
 * cost. A detached alias removes those ops from the outer backward pass altogether; the
 * meta-gradient is the same.
 *
 * @param x - any tensor, not disposed.
 * @returns a tensor of the same shape, dtype and values, tracked by the current `tf.tidy` scope;
 *   disposing it does not dispose `x`.
 */
export function detach<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  const owner = engine.state.tensorInfo.get(x.dataId)?.backend;
  if (owner === undefined || owner !== engine.backend) {
    return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
  }
  owner.incRef(x.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, owner) as T;
}
