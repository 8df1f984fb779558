/**
 * A tape-free alias of a tensor, for first-order inner loops.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A new tensor with the values of `x` that no gradient tape connects to `x` (PyTorch's
 * `x.detach()`): it wraps the same backend data (the backend's reference count of the data is
 * incremented, as tfjs's `Identity` kernel does) but is made outside any kernel, so no tape node
 * records it and every op computed from it is left out of the outer backward pass. When the data
 * lives on another backend than the current one, it falls back to a copy through `dataSync`.
 *
 * First-order CAVIA runs its inner loop on such aliases of `theta`: the adapted context is then
 * a constant for the meta-gradient, at no second-order cost (core's `stopGradient` gives the same
 * values and gradients, but keeps every inner-loop op on the outer tape and back-propagates
 * zeros through them). The same helper lives in @metalearn/maml; algorithm packages depend on
 * core only, so each keeps its copy.
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
