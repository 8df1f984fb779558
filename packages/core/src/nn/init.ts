/**
 * Parameter initialisers, drawn from a seeded {@link Rng} (never `Math.random`, never a tfjs
 * random op), so `init(seed)` gives bitwise-equal tensors on every backend and platform.
 *
 * These are the schemes of the MAML reference code (Finn et al. 2017, github.com/cbfinn/maml,
 * `maml.py`): fully connected weights `truncated_normal(stddev=0.01)`, convolution filters
 * `xavier_initializer_conv2d()` (Glorot uniform), biases zeros; its Omniglot output layer is
 * `random_normal` (std 1) and its mini-ImageNet output layer `xavier_initializer()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import type { Rng } from '../random.js';

function checkShape(shape: readonly number[], caller: string): number {
  if (!shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new MetaLearnError('invalidArgument', `${caller}: shape must be positive integers, got [${shape.join(', ')}]`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Truncated normal: `w ~ N(0, std^2)` conditioned on `|w| <= 2 std` (values beyond two standard
 * deviations are redrawn, as TensorFlow's `truncated_normal` does).
 * @param rng - the random source (advanced by the draws).
 * @param shape - tensor shape.
 * @param std - standard deviation of the untruncated normal, > 0.
 * @returns float32 tensor of `shape`.
 * @throws MetaLearnError `invalidArgument` on a bad shape or `std <= 0`.
 */
export function truncatedNormal(rng: Rng, shape: readonly number[], std: number): tf.Tensor {
  const n = checkShape(shape, 'truncatedNormal');
  if (!(std > 0 && Number.isFinite(std))) throw new MetaLearnError('invalidArgument', `truncatedNormal: std must be > 0, got ${std}`);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    v[i] = z * std;
  }
  return tf.tensor(v, [...shape], 'float32');
}

/**
 * Normal: `w ~ N(0, std^2)`.
 * @param rng - the random source.
 * @param shape - tensor shape.
 * @param std - standard deviation, > 0.
 * @returns float32 tensor of `shape`.
 * @throws MetaLearnError `invalidArgument` on a bad shape or `std <= 0`.
 */
export function normalInit(rng: Rng, shape: readonly number[], std: number): tf.Tensor {
  const n = checkShape(shape, 'normalInit');
  if (!(std > 0 && Number.isFinite(std))) throw new MetaLearnError('invalidArgument', `normalInit: std must be > 0, got ${std}`);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * std;
  return tf.tensor(v, [...shape], 'float32');
}

/**
 * Glorot (Xavier) uniform: `w ~ U(-a, a)`, `a = sqrt(6 / (fanIn + fanOut))`, which keeps the
 * variance of activations and gradients roughly constant across layers.
 * For a dense kernel `[I, O]`: `fanIn = I`, `fanOut = O`; for a conv filter `[k, k, C_in, C_out]`:
 * `fanIn = k*k*C_in`, `fanOut = k*k*C_out` (TensorFlow's convention).
 * @param rng - the random source.
 * @param shape - tensor shape.
 * @param fanIn - number of inputs feeding one output.
 * @param fanOut - number of outputs one input feeds.
 * @returns float32 tensor of `shape`.
 * @throws MetaLearnError `invalidArgument` on a bad shape or fans.
 * @see Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks", eq. 16.
 */
export function glorotUniform(rng: Rng, shape: readonly number[], fanIn: number, fanOut: number): tf.Tensor {
  const n = checkShape(shape, 'glorotUniform');
  if (!(fanIn >= 1 && fanOut >= 1)) throw new MetaLearnError('invalidArgument', `glorotUniform: fanIn and fanOut must be >= 1, got ${fanIn}, ${fanOut}`);
  const a = Math.sqrt(6 / (fanIn + fanOut));
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-a, a);
  return tf.tensor(v, [...shape], 'float32');
}

/** A float32 tensor of zeros (biases, batch-norm offsets). */
export function zerosInit(shape: readonly number[]): tf.Tensor {
  checkShape(shape, 'zerosInit');
  return tf.zeros([...shape], 'float32');
}

/** A float32 tensor of ones (batch-norm scales). */
export function onesInit(shape: readonly number[]): tf.Tensor {
  checkShape(shape, 'onesInit');
  return tf.ones([...shape], 'float32');
}
