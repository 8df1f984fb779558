/**
 * Element-wise activations, each written so that its gradient is itself differentiable on every
 * backend (second-order MAML differentiates through the inner loop's gradient, so the backward
 * pass of every activation must have a backward pass too).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';

/**
 * Activation names. `'relu'` is the default of the standard backbones (MAML); the smooth ones
 * (`'tanh'`, `'softplus'`, `'sigmoid'`, `'elu'`) make a network twice continuously
 * differentiable, which finite-difference gradient tests need; `'linear'` is the identity.
 */
export type ActivationName = 'relu' | 'tanh' | 'elu' | 'softplus' | 'sigmoid' | 'linear';

/** Every {@link ActivationName}, for validation and option schemas. */
export const ACTIVATIONS: readonly ActivationName[] = ['relu', 'tanh', 'elu', 'softplus', 'sigmoid', 'linear'];

/**
 * Checks that `name` is an activation.
 * @param name - the value to check.
 * @param caller - `fn: arg`, for the error message.
 * @throws MetaLearnError `invalidArgument` when it is not one of {@link ACTIVATIONS}.
 */
export function checkActivation(name: unknown, caller: string): ActivationName {
  if (typeof name !== 'string' || !(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new MetaLearnError('invalidArgument', `${caller} must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  return name as ActivationName;
}

/**
 * Applies an activation element-wise.
 * - relu(x) = max(x, 0) (derivative 0 at 0, as tfjs's `step`);
 * - tanh(x); sigmoid(x) = 1 / (1 + e^-x); softplus(x) = log(1 + e^x);
 * - elu(x) = x for x > 0, e^x - 1 otherwise, computed as `relu(x) + exp(min(x, 0)) - 1`
 *   (tfjs's own `elu` has a backward kernel with no gradient, which would break second order);
 * - linear(x) = x.
 * @param x - float32 tensor of any shape.
 * @param name - the activation.
 * @returns float32 tensor of the same shape.
 */
export function activate<T extends tf.Tensor>(x: T, name: ActivationName): T {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'elu':
      return tf.tidy(() => tf.add(tf.relu(x), tf.sub(tf.exp(tf.minimum(x, 0)), 1))) as T;
    case 'linear':
      return x;
  }
}
