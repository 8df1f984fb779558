/**
 * Gradients of `AvgPool` (2-D, NHWC) and of its backward kernel `AvgPoolGrad`, exact and
 * differentiable at every order.
 *
 * Maths: y_w = (1/n_w) Σ_{i ∈ w} x_i with n_w the number of *real* input elements in window w
 * (padding excluded, as the cpu and wasm kernels compute), so ∂L/∂x_i = Σ_{w ∋ i} dy_w / n_w.
 * - Unpadded pooling (n_w = f_h f_w): dx is the native `AvgPoolGrad` kernel (fast). It is linear
 *   in dy with adjoint Gᵀ(z) = avgPool(z), the registered gradient of `AvgPoolGrad` (tfjs has
 *   none).
 * - Padded pooling (`'same'` or explicit padding): the native `AvgPoolGrad` is wrong there on
 *   cpu and wasm (tfjs 4.22: off by up to ~5 for a 3×3 `'same'` window even with the full-area
 *   divisor accounted for), so dy/n is placed back explicitly with `Pad`/`Transpose`/`Slice`
 *   (slower, exact, linear in dy).
 */
import * as tf from '@tensorflow/tfjs-core';
import { poolGeometry, scatterWindows, windowCounts, windowElements, type PoolGeometry } from './pool-windows.js';
import { single, zerosFor } from './util.js';

type Pad = 'valid' | 'same' | number;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Whether every window lies inside the input (no padding on any side). */
function unpadded(g: PoolGeometry): boolean {
  const bottom = (g.outHeight - 1) * g.strideHeight + g.filterHeight - g.padTop - g.height;
  const right = (g.outWidth - 1) * g.strideWidth + g.filterWidth - g.padLeft - g.width;
  return g.padTop === 0 && g.padLeft === 0 && bottom <= 0 && right <= 0;
}

/** `AvgPool`: `dx_i = Σ_{w ∋ i} dy_w / n_w`. */
export const avgPoolGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    return {
      x: () => {
        const g = poolGeometry(x.shape, attrs);
        const up = single(dy);
        if (unpadded(g)) {
          const kernelAttrs = { filterSize: attrs['filterSize'], strides: attrs['strides'], pad: attrs['pad'] } as tf.NamedAttrMap;
          return tf.engine().runKernel(tf.AvgPoolGrad, { dy: up, input: x }, kernelAttrs) as tf.Tensor;
        }
        const share = tf.reshape(tf.div(up, windowCounts(g)), [1, -1]);
        return scatterWindows(tf.tile(share, [windowElements(g).length, 1]), g);
      },
    };
  },
};

/**
 * `AvgPoolGrad` (as emitted above, unpadded): `d(dy) = avgPool(ddx)`, `d(input) = 0` (only its
 * shape is read). For a padded pooling this is the adjoint of the *intended* operator,
 * avgPool(ddx) ⊙ n/(f_h f_w).
 */
export const avgPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPoolGrad,
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const input = saved[0]!;
    return {
      dy: () => {
        const g = poolGeometry(input.shape, attrs);
        const pooled = tf.avgPool(single(ddx) as tf.Tensor4D, attrs['filterSize'] as [number, number], attrs['strides'] as [number, number],
          attrs['pad'] as Pad, attrs['dimRoundingMode'] as Rounding);
        return unpadded(g) ? pooled : tf.mul(pooled, tf.div(windowCounts(g), g.filterHeight * g.filterWidth));
      },
      input: () => zerosFor(input),
    };
  },
};
