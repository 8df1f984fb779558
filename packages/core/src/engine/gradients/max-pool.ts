/**
 * Gradient of `MaxPool` (2-D, NHWC), re-registered so it is differentiable again.
 *
 * Maths: y_w = x_{a(w)} with a(w) the first (row-major) maximum of window w, so ∂L/∂x = Pᵀ dy
 * with P the 0/1 selection matrix — linear in dy, piecewise constant in x. tfjs computes Pᵀ dy
 * with the `MaxPoolGrad` kernel, which has no gradient (second-order MAML through a max-pooled
 * network threw), and the wasm kernel even drops the gradient of some tied windows. Here the
 * selection is a one-hot of `argMax` over the window elements (ties → the first, as the cpu
 * kernel), and Pᵀ dy is placed back with `Pad`/`Reshape`/`Slice`: its derivative with respect to
 * dy is P ddx, and with respect to x is 0, at every order and on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromCanvas, pickWindowElement, placeWindowElement, poolGeometry, toCanvas } from './pool-windows.js';
import { single } from './util.js';

/** `MaxPool`: `dx = Pᵀ dy`, P the first-maximum selection of each window. */
export const maxPoolGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    return {
      x: () => {
        const g = poolGeometry(x.shape, attrs);
        const canvas = toCanvas(x, g, -Infinity);
        const offsets: Array<[number, number]> = [];
        for (let i = 0; i < g.filterHeight; i++) for (let j = 0; j < g.filterWidth; j++) offsets.push([i, j]);
        const elements = tf.stack(offsets.map(([i, j]) => pickWindowElement(canvas, g, i, j)), 4);
        const k = offsets.length;
        const selected = tf.cast(tf.oneHot(tf.reshape(tf.argMax(elements, 4), [-1]), k), 'float32');
        const sel = tf.reshape(selected, [g.batch, g.outHeight, g.outWidth, g.channels, k]);
        const up = single(dy);
        const placed = offsets.map(([i, j], n) => {
          const weight = tf.reshape(tf.slice(sel, [0, 0, 0, 0, n], [g.batch, g.outHeight, g.outWidth, g.channels, 1]), up.shape);
          return placeWindowElement(tf.mul(up, weight), g, i, j);
        });
        return fromCanvas(placed.length === 1 ? placed[0]! : tf.addN(placed), g);
      },
    };
  },
};
