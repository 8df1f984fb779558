/**
 * `stopGradient`: the identity in the forward pass, a constant for differentiation (TensorFlow's
 * `tf.stop_gradient`, PyTorch's `.detach()`). tfjs-core has no such op; this one is built on
 * `tf.customGrad` and is safe at any order of differentiation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from './errors.js';

/** Forward: a copy of `x`; backward: zeros (recorded as `zerosLike(dy)`, itself differentiable). */
const stopGradientOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
}));

/**
 * Returns `x` unchanged while blocking every gradient through it.
 *
 * Maths: `y = x` in the forward pass and `∂y/∂x := 0`, so for any `f`,
 * `∇_x f(stopGradient(x)) = 0` at every order (gradients of gradients are zero too).
 * First-order MAML uses it to treat the inner-loop gradient as a constant
 * (`phi = theta - alpha * stopGradient(∇L(theta))`).
 *
 * @param x - any tensor (any shape and dtype).
 * @returns a new tensor with the values, shape and dtype of `x`; the caller owns (disposes) it.
 * @throws MetaLearnError `invalidArgument` when `x` is not a tensor, or has been disposed.
 * @example
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.scalar(3)); // 3, not 6
 * @see Finn, Abbeel & Levine 2017, "Model-Agnostic Meta-Learning", section 5.2 (first-order approximation)
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  if (!(x instanceof tf.Tensor)) {
    throw new MetaLearnError('invalidArgument', `stopGradient: x must be a tf.Tensor, got ${typeof x}`);
  }
  if (x.isDisposed) {
    throw new MetaLearnError('invalidArgument', `stopGradient: x must not be disposed (tensor id ${x.id})`);
  }
  return stopGradientOp(x) as T;
}
