/**
 * Gradient of `MaxPool` (2-D, NHWC), differentiable at every order.
 *
 * Maths: y_w = x_{a(w)}, a(w) the first (row-major) maximum of window w, so ∂L/∂x = Pᵀ dy with P
 * the 0/1 selection matrix: linear in dy, piecewise constant in x; its derivative with respect
 * to dy is P ddx and with respect to x is 0.
 *
 * - Disjoint windows (stride ≥ filter, the usual 2×2/2): dx is the `MaxPoolGrad` kernel (fast);
 *   its own gradient (P ddx) and the one-tie-rule kernel fix are registered with the engine's
 *   kernel fixes.
 * - Overlapping windows: P is built explicitly (first row-major maximum via `argMax`, the cpu
 *   kernel's rule) and Pᵀ dy is placed back with `Pad`/`Slice`/`Transpose` — exact at every
 *   order on any backend, slower.
 *
 * The saved *output* y is only used to locate maxima (∂/∂y = 0), so reusing it loses nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { firstMaxSelection, poolGeometry, scatterWindows, windowsAreDisjoint } from './pool-windows.js';
import { single } from './util.js';

function poolAttrs(attrs: tf.NamedAttrMap): tf.NamedAttrMap {
  return { filterSize: attrs['filterSize'], strides: attrs['strides'], pad: attrs['pad'], dimRoundingMode: attrs['dimRoundingMode'] } as tf.NamedAttrMap;
}

/** `MaxPoolGrad(dy, input, output)` as a recorded kernel call. */
function maxPoolGrad(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input, output }, poolAttrs(attrs)) as tf.Tensor;
}

/** `MaxPool`: `dx = Pᵀ dy`. */
export const maxPoolGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPool,
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, y] = saved as [tf.Tensor, tf.Tensor];
    return {
      x: () => {
        const up = single(dy);
        const g = poolGeometry(x.shape, attrs);
        if (windowsAreDisjoint(g)) return maxPoolGrad(up, x, y, attrs);
        return scatterWindows(tf.mul(firstMaxSelection(x, g), tf.reshape(up, [1, up.size])), g);
      },
    };
  },
};
