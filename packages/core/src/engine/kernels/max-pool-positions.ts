/**
 * The one tie rule of metalearn's max pooling, shared by every kernel that routes a gradient
 * through a max pool (on every backend): each window sends its gradient to its FIRST maximum in
 * row-major window order (window rows top to bottom, and within a row columns left to right),
 * padding excluded. So a window of negative values still has its maximum, a padded border
 * window only looks at real pixels, and `[[2, 2], [2, 1]]` routes to its top-left pixel.
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * For each output element of a 2-D max pool, the flat input index of its window's first maximum.
 *
 * position[n, p, q, c] = argmin over the window pixels (r, s) in row-major order of those with
 * x[n, r, s, c] = max over the window, r = p * strideHeight - padTop + i, s = q * strideWidth -
 * padLeft + j, 0 <= r < inHeight, 0 <= s < inWidth.
 * @param x - the pooled input, `float32 [N, H, W, C]`, flat.
 * @param info - the pool geometry (`backend_util.computePool2DInfo`, dilation 1, NHWC).
 * @returns `Int32Array [N * Ho * Wo * C]`: flat indices into `x`; `-1` for a window that
 *   covers no pixel (possible only with explicit padding larger than the filter).
 * @example maxPoolPositions(new Float32Array([-3, -1, -1, -2]), computePool2DInfo([1, 2, 2, 1], 2, 2, 1, 'valid')) // Int32Array [1]
 */
export function maxPoolPositions(x: Float32Array, info: tf.backend_util.Conv2DInfo): Int32Array {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const positions = new Int32Array(batchSize * outHeight * outWidth * channels);
  const bestValues = new Float32Array(channels);
  const rowStride = inWidth * channels;
  const batchStride = inHeight * rowStride;
  for (let n = 0; n < batchSize; n++) {
    const xBatch = n * batchStride;
    for (let p = 0; p < outHeight; p++) {
      const rStart = Math.max(0, p * strideHeight - padTop);
      const rEnd = Math.min(inHeight, p * strideHeight - padTop + filterHeight);
      for (let q = 0; q < outWidth; q++) {
        const sStart = Math.max(0, q * strideWidth - padLeft);
        const sEnd = Math.min(inWidth, q * strideWidth - padLeft + filterWidth);
        const o = ((n * outHeight + p) * outWidth + q) * channels;
        positions.fill(-1, o, o + channels);
        // Window pixels in row-major order; per channel, a later pixel wins only when strictly larger.
        for (let r = rStart; r < rEnd; r++) {
          for (let s = sStart; s < sEnd; s++) {
            const base = xBatch + r * rowStride + s * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[base + c]!;
              if (positions[o + c]! < 0 || value > bestValues[c]!) {
                positions[o + c] = base + c;
                bestValues[c] = value;
              }
            }
          }
        }
      }
    }
  }
  return positions;
}
