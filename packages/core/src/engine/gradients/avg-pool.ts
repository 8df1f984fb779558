/**
 * Gradient of `AvgPool` (2-D, NHWC), re-registered so it is exact and differentiable again.
 *
 * Maths: y_w = (1/n_w) Σ_{i ∈ w} x_i with n_w the number of *real* input elements in window w
 * (padding excluded, as the cpu and wasm kernels compute), so ∂L/∂x_i = Σ_{w ∋ i} dy_w / n_w.
 * tfjs's `AvgPoolGrad` divides by the full filter area instead — wrong at the borders with
 * `'same'` padding — and has no gradient. Here dy/n is placed back with `Pad`/`Reshape`/`Slice`,
 * linear in dy, so every order is exact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromCanvas, placeWindowElement, poolGeometry, windowCounts } from './pool-windows.js';
import { single } from './util.js';

/** `AvgPool`: `dx_i = Σ_{w ∋ i} dy_w / n_w`. */
export const avgPoolGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    return {
      x: () => {
        const g = poolGeometry(x.shape, attrs);
        const share = tf.div(single(dy), windowCounts(g));
        const placed: tf.Tensor[] = [];
        for (let i = 0; i < g.filterHeight; i++) for (let j = 0; j < g.filterWidth; j++) placed.push(placeWindowElement(share, g, i, j));
        return fromCanvas(placed.length === 1 ? placed[0]! : tf.addN(placed), g);
      },
    };
  },
};
