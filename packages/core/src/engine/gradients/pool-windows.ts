/**
 * Window geometry shared by the pooling gradients: the input is padded onto a canvas on which
 * every pooling window is a strided grid, so "the k-th element of every window" is a strided
 * view of the canvas (`pickWindowElement`) and its adjoint puts values back (`placeWindowElement`).
 * Both are built from `Pad`, `Slice` and `Reshape`, whose gradients are exact at every order, so a
 * pooling gradient written with them is differentiable again (tfjs's `MaxPoolGrad` and
 * `AvgPoolGrad` kernels have no gradients).
 *
 * Canvas: rows `[0, Hc)` with the input at rows `[top, top + H)`; window `(r, c)` element `(i, j)`
 * sits at canvas row `r·s_h + i`, column `c·s_w + j`. Writing `i = q·s_h + p` (0 ≤ p < s_h), the
 * rows `q·s_h + [0, oh·s_h)` reshaped to `[oh, s_h]` hold element i of every window at column p.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Geometry of a 2-D pooling (NHWC, dilation 1). */
export interface PoolGeometry {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Canvas size, large enough for the input and every strided block. */
  readonly canvasHeight: number;
  readonly canvasWidth: number;
}

/** Pooling geometry from the kernel's attributes (`filterSize`, `strides`, `pad`, `dimRoundingMode`). */
export function poolGeometry(xShape: readonly number[], attrs: tf.NamedAttrMap): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const canvasHeight = Math.max(info.padInfo.top + info.inHeight, Math.floor((info.filterHeight - 1) / sh) * sh + info.outHeight * sh);
  const canvasWidth = Math.max(info.padInfo.left + info.inWidth, Math.floor((info.filterWidth - 1) / sw) * sw + info.outWidth * sw);
  return {
    batch: info.batchSize,
    height: info.inHeight,
    width: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: sh,
    strideWidth: sw,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    canvasHeight,
    canvasWidth,
  };
}

/** The input padded onto the canvas with `value` (`-Infinity` for max pooling). */
export function toCanvas(x: tf.Tensor, g: PoolGeometry, value: number): tf.Tensor {
  return tf.pad(x, [
    [0, 0],
    [g.padTop, g.canvasHeight - g.padTop - g.height],
    [g.padLeft, g.canvasWidth - g.padLeft - g.width],
    [0, 0],
  ], value);
}

/** The input-shaped block of a canvas (the adjoint of {@link toCanvas}). */
export function fromCanvas(canvas: tf.Tensor, g: PoolGeometry): tf.Tensor {
  return tf.slice(canvas, [0, g.padTop, g.padLeft, 0], [g.batch, g.height, g.width, g.channels]);
}

/** Element `(i, j)` of every window: `[B, oh, ow, C]` from a canvas `[B, Hc, Wc, C]`. */
export function pickWindowElement(canvas: tf.Tensor, g: PoolGeometry, i: number, j: number): tf.Tensor {
  const { batch: b, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, channels: c } = g;
  const block = tf.slice(canvas, [0, Math.floor(i / sh) * sh, Math.floor(j / sw) * sw, 0], [b, oh * sh, ow * sw, c]);
  const grid = tf.reshape(block, [b, oh, sh, ow, sw, c]);
  const picked = tf.slice(grid, [0, 0, i % sh, 0, j % sw, 0], [b, oh, 1, ow, 1, c]);
  return tf.reshape(picked, [b, oh, ow, c]);
}

/** The adjoint of {@link pickWindowElement}: `z [B, oh, ow, C]` put at element `(i, j)` of every window on a zero canvas. */
export function placeWindowElement(z: tf.Tensor, g: PoolGeometry, i: number, j: number): tf.Tensor {
  const { batch: b, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, channels: c } = g;
  const grid = tf.pad(tf.reshape(z, [b, oh, 1, ow, 1, c]), [
    [0, 0], [0, 0], [i % sh, sh - 1 - (i % sh)], [0, 0], [j % sw, sw - 1 - (j % sw)], [0, 0],
  ]);
  const block = tf.reshape(grid, [b, oh * sh, ow * sw, c]);
  const r0 = Math.floor(i / sh) * sh;
  const c0 = Math.floor(j / sw) * sw;
  return tf.pad(block, [[0, 0], [r0, g.canvasHeight - r0 - oh * sh], [c0, g.canvasWidth - c0 - ow * sw], [0, 0]]);
}

/** Number of real (non-padding) input elements in each window: float32 `[1, oh, ow, 1]`. */
export function windowCounts(g: PoolGeometry): tf.Tensor {
  const count = (out: number, f: number, s: number, pad: number, size: number): number[] =>
    Array.from({ length: out }, (_, o) => {
      let n = 0;
      for (let i = 0; i < f; i++) {
        const p = o * s + i - pad;
        if (p >= 0 && p < size) n++;
      }
      return n;
    });
  const rows = count(g.outHeight, g.filterHeight, g.strideHeight, g.padTop, g.height);
  const cols = count(g.outWidth, g.filterWidth, g.strideWidth, g.padLeft, g.width);
  const values = rows.flatMap((r) => cols.map((c) => r * c));
  return tf.tensor4d(values, [1, g.outHeight, g.outWidth, 1], 'float32');
}
