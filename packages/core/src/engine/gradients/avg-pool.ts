/**
 * Gradient of `AvgPool` (2-D, NHWC), exact and differentiable at every order.
 *
 * Maths: y_w = (1/n_w) Σ_{i ∈ w} x_i with n_w the number of *real* input elements in window w
 * (padding excluded, as the cpu and wasm kernels compute), so ∂L/∂x_i = Σ_{w ∋ i} dy_w / n_w.
 * - Unpadded pooling (n_w = f_h f_w): dx is the `AvgPoolGrad` kernel (fast), linear in dy; its
 *   gradient (the adjoint, avgPool of the upstream) is registered with the engine's kernel fixes.
 * - Padded pooling (`'same'` or explicit padding): the native `AvgPoolGrad` is wrong there on
 *   cpu and wasm in tfjs 4.22 (measured: off by up to ~5 for a 3×3 `'same'` window even with the
 *   full-area divisor accounted for), so dy/n is placed back explicitly with `Pad`/`Transpose`/`Slice`
 *   (slower, exact, linear in dy).
 */
import * as tf from '@tensorflow/tfjs-core';
import { poolGeometry, scatterWindows, windowCounts, windowElements, type PoolGeometry } from './pool-windows.js';
import { single } from './util.js';

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
