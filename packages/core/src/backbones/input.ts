/**
 * Input validation shared by the standard backbones.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';

/**
 * Checks that `x` is float32 `[B, ...inputShape]` with `B >= 1`.
 * @param x - the input.
 * @param inputShape - shape of one example.
 * @param caller - e.g. `'conv4.apply'`, for the message.
 * @throws MetaLearnError `shapeMismatch` naming `caller` and `x`.
 */
export function checkInput(x: tf.Tensor, inputShape: readonly number[], caller: string): void {
  const ok =
    x.dtype === 'float32' &&
    x.rank === inputShape.length + 1 &&
    x.shape[0]! >= 1 &&
    inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!ok) {
    throw new MetaLearnError('shapeMismatch', `${caller}: x must be float32 [B, ${inputShape.join(', ')}] with B >= 1, got ${x.dtype} [${x.shape.join(', ')}]`);
  }
}

/**
 * Checks that `value` is an integer >= `min`.
 * @throws MetaLearnError `invalidArgument` naming `what`.
 */
export function checkInt(value: unknown, min: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new MetaLearnError('invalidArgument', `${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}
