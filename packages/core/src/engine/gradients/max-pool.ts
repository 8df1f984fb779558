/**
 * Gradients of `MaxPool` (2-D, NHWC) and of its backward kernel `MaxPoolGrad`, so that max
 * pooling is differentiable at every order (tfjs registers no gradient for `MaxPoolGrad`: a
 * second-order meta-gradient through a max-pooled network threw).
 *
 * Maths: y_w = x_{a(w)}, a(w) the selected maximum of window w, so ∂L/∂x = Pᵀ dy with P the 0/1
 * selection matrix: linear in dy, piecewise constant in x. Hence
 * ∂(Pᵀ dy)/∂dy applied to ddx is P ddx (the value of ddx at each window's selected element) and
 * ∂(Pᵀ dy)/∂x = 0.
 *
 * - Disjoint windows (stride ≥ filter, the usual 2×2/2): dx is the native `MaxPoolGrad` kernel
 *   (fast); its gradient reads P from the kernel itself — M = MaxPoolGrad(1) marks the selected
 *   elements, and P ddx = Σ_{window} M ⊙ ddx = avgPool(M ⊙ ddx)·n_w — so the second order uses
 *   exactly the first order's tie-breaking on every backend.
 * - Overlapping windows: P is built explicitly (first row-major maximum via `argMax`, the cpu
 *   kernel's rule) and Pᵀ dy is placed back with `Pad`/`Slice`/`Transpose` (slower, exact).
 *
 * The saved *output* y is only used to locate maxima (∂/∂y = 0), so reusing it loses nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { firstMaxSelection, gatherWindows, poolGeometry, scatterWindows, windowCounts, windowsAreDisjoint } from './pool-windows.js';
import { single, zerosFor } from './util.js';

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

/** `MaxPoolGrad`: `d(dy) = P ddx`, `d(input) = d(output) = 0`. */
export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, input, output] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    return {
      dy: () => {
        const g = poolGeometry(input.shape, attrs);
        const z = single(ddx);
        if (windowsAreDisjoint(g)) {
          const selected = maxPoolGrad(tf.onesLike(dy), input, output, attrs);
          const mean = tf.avgPool(tf.mul(selected, z) as tf.Tensor4D, attrs['filterSize'] as number, attrs['strides'] as number,
            attrs['pad'] as 'valid' | 'same' | number, attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined);
          return tf.mul(mean, windowCounts(g));
        }
        const picked = tf.sum(tf.mul(firstMaxSelection(input, g), gatherWindows(z, g)), 0);
        return tf.reshape(picked, dy.shape);
      },
      input: () => zerosFor(input),
      output: () => zerosFor(output),
    };
  },
};
