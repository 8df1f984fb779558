/**
 * Self-checks of the gradient fixes, run by `metalearn doctor` on the active backend: second
 * derivatives that tfjs 4.22 gets wrong or cannot compute, each against its closed form.
 *
 * | check                                              | tfjs 4.22 gives       | exact    |
 * | d²/dx² [tanh(x) + x²] at 0.5                       | 2.00000               | 1.27314  |
 * | d²/dx² [exp(x) + x²] at 0.5                        | 2.00000               | 3.64872  |
 * | d²/dx² [sigmoid(x) + x²] at 0.5                    | 2.00000               | 1.94244  |
 * | d²/dx² tanh(x) at 0.5                              | throws                | -0.72686 |
 * | d²/dz0² cross-entropy via logSumExp (z = [z0, 0, -0.5], label 0, z0 = 0.5) | throws | 0.24996 |
 * | the same through metalearn's softmaxCrossEntropy   | throws                | 0.24996  |
 */
import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropy } from '../../losses.js';
import { stopGradient } from '../../stop-gradient.js';
import type { EngineCheck } from '../check.js';

const TOLERANCE = 1e-4;

/** d²f/dx² at x0 by double backward, as a JS number (no tensor is left behind). */
function secondDerivative(f: (x: tf.Tensor) => tf.Tensor, x0: number): number {
  return tf.tidy(() => tf.grad(tf.grad(f))(tf.scalar(x0)).dataSync()[0]!);
}

/** df/dx at x0 by backward, as a JS number. */
function firstDerivative(f: (x: tf.Tensor) => tf.Tensor, x0: number): number {
  return tf.tidy(() => tf.grad(f)(tf.scalar(x0)).dataSync()[0]!);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** Softmax probabilities of `[z0, 0, -0.5]`. */
const probs = (z0: number): number[] => {
  const e = [Math.exp(z0), 1, Math.exp(-0.5)];
  const s = e[0]! + e[1]! + e[2]!;
  return e.map((v) => v / s);
};
/** The logits row `[z0, 0, -0.5]` as float32 `[1, 3]`. */
const logitsRow = (z0: tf.Tensor): tf.Tensor2D => tf.reshape(tf.concat([tf.reshape(z0, [1]), tf.tensor1d([0, -0.5])]), [1, 3]) as tf.Tensor2D;

function check(name: string, run: () => { value: number; expected: number }): EngineCheck {
  return { name, tolerance: TOLERANCE, run };
}

/** The gradient checks of `metalearn doctor` (the table above plus softmax, elu, pow, selu, max pool, comparisons, stopGradient). */
export const gradientChecks: EngineCheck[] = [
  check('d²/dx² [tanh(x) + x²] at x = 0.5', () => {
    const t = Math.tanh(0.5);
    return { value: secondDerivative((x) => tf.add(tf.tanh(x), tf.square(x)), 0.5), expected: -2 * t * (1 - t * t) + 2 };
  }),
  check('d²/dx² [exp(x) + x²] at x = 0.5', () => ({
    value: secondDerivative((x) => tf.add(tf.exp(x), tf.square(x)), 0.5),
    expected: Math.exp(0.5) + 2,
  })),
  check('d²/dx² [sigmoid(x) + x²] at x = 0.5', () => {
    const s = sigmoid(0.5);
    return { value: secondDerivative((x) => tf.add(tf.sigmoid(x), tf.square(x)), 0.5), expected: s * (1 - s) * (1 - 2 * s) + 2 };
  }),
  check('d²/dx² tanh(x) at x = 0.5', () => {
    const t = Math.tanh(0.5);
    return { value: secondDerivative((x) => tf.tanh(x), 0.5), expected: -2 * t * (1 - t * t) };
  }),
  check('d²/dz0² cross-entropy via logSumExp, logits [z0, 0, -0.5], label 0, z0 = 0.5', () => {
    const p0 = probs(0.5)[0]!;
    const f = (z0: tf.Tensor): tf.Tensor => {
      const z = tf.reshape(logitsRow(z0), [3]);
      return tf.sub(tf.logSumExp(z), tf.slice(z, [0], [1]));
    };
    return { value: secondDerivative(f, 0.5), expected: p0 * (1 - p0) };
  }),
  check('d²/dz0² softmaxCrossEntropy, logits [z0, 0, -0.5], label 0, z0 = 0.5', () => {
    const p0 = probs(0.5)[0]!;
    const f = (z0: tf.Tensor): tf.Tensor => tf.tidy(() => {
      const labels = tf.tensor1d([0], 'int32');
      return softmaxCrossEntropy(logitsRow(z0), labels);
    });
    return { value: secondDerivative(f, 0.5), expected: p0 * (1 - p0) };
  }),
  check('d²/dz0² softmax(z)[0], logits [z0, 0, -0.5], z0 = 0.5', () => {
    const p0 = probs(0.5)[0]!;
    return { value: secondDerivative((z0) => tf.slice(tf.softmax(logitsRow(z0)), [0, 0], [1, 1]), 0.5), expected: p0 * (1 - p0) * (1 - 2 * p0) };
  }),
  check('d²/dx² elu(x) at x = -0.5', () => ({ value: secondDerivative((x) => tf.elu(x), -0.5), expected: Math.exp(-0.5) })),
  check('d²/dx² selu(x) at x = -0.5', () => ({
    value: secondDerivative((x) => tf.selu(x), -0.5),
    expected: 1.0507009873554804 * 1.6732632423543772 * Math.exp(-0.5),
  })),
  check('d²/db² 2^b at b = 0.5 (the exponent side of pow)', () => ({
    value: secondDerivative((b) => tf.pow(tf.scalar(2), b), 0.5),
    expected: Math.SQRT2 * Math.LN2 * Math.LN2,
  })),
  check('d²/dx² x^3 at x = 0.5 (the base side of pow)', () => ({ value: secondDerivative((x) => tf.pow(x, tf.scalar(3)), 0.5), expected: 3 })),
  check('d²/dx² sum(maxPool([[x, 0.1], [0.2, 0.3]])²) at x = 0.5', () => ({
    value: secondDerivative((x) => {
      const img = tf.reshape(tf.concat([tf.reshape(x, [1]), tf.tensor1d([0.1, 0.2, 0.3])]), [1, 2, 2, 1]) as tf.Tensor4D;
      return tf.sum(tf.square(tf.maxPool(img, 2, 2, 'valid')));
    }, 0.5),
    expected: 2,
  })),
  check('d²/dx² max(x², 0.1) at x = 0.5 (through Maximum and a comparison)', () => ({
    value: secondDerivative((x) => tf.maximum(tf.square(x), 0.1), 0.5),
    expected: 2,
  })),
  check('d/dx of a comparison-gated constant, sum(cast(x > 0)), is 0', () => ({
    value: firstDerivative((x) => tf.add(tf.sum(tf.cast(tf.greater(x, 0), 'float32')), tf.mul(x, 0)), 0.5),
    expected: 0,
  })),
  check('d²/dx² [x² · stopGradient(x)] at x = 0.5', () => ({
    value: secondDerivative((x) => tf.mul(tf.square(x), stopGradient(x)), 0.5),
    expected: 2 * 0.5,
  })),
];
