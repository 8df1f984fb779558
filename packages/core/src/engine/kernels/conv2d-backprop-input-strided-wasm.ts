/**
 * The input gradient of a strided 2-D convolution on `wasm` as one fast matrix product and a
 * col2im pass. With x: [N, H, W, Ci], W: [fh, fw, Ci, Co], dy: [N, Ho, Wo, Co], strides
 * (sh, sw) and top/left padding (pt, pl):
 *
 * dx[n, h, w, i] = sum over p, q, a, b, o with h = p sh + a - pt, w = q sw + b - pl
 *                  of dy[n, p, q, o] W[a, b, i, o]
 *
 * is col2im of the columns C = dy W^T, `[N Ho Wo, Co] x [Co, fh fw Ci]` (dy and W viewed as
 * matrices, no copy; the product on XNNPACK by {@link batchMatMulWasm}):
 * dx[n, p sh + a - pt, q sw + b - pl, :] += C[(n, p, q), (a, b, :)] over the taps inside the
 * image, a loop of at most N Ho Wo fh fw Ci additions (1/Co of the product's work).
 *
 * The alternative, a stride-1 convolution of dy dilated with zeros, multiplies by zeros
 * 1 - 1/(sh sw) of the time: this route does only the needed N Ho Wo fh fw Ci Co
 * multiply-adds (measured 2-3x faster at stride 2 on Conv-4 Omniglot shapes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeFloat32Output, readFloat32 } from './backend-io.js';
import { batchMatMulWasm } from './kernel-batch-matmul-wasm.js';
import type { WasmBackendInternals } from './xnn-matmul-wasm.js';

/**
 * dx of a convolution (any stride, dilation 1, NHWC) by `dy W^T` and col2im.
 * @param backend - the wasm backend.
 * @param dy - `float32 [N, Ho, Wo, Co]`.
 * @param filter - `W: float32 [fh, fw, Ci, Co]`.
 * @param info - the convolution's `Conv2DInfo` (`computeConv2DInfo` of x's shape, W's shape,
 *   strides, dilation 1, padding, NHWC).
 * @returns `dx: float32 [N, H, W, Ci]` (owned by the caller).
 * @see Dumoulin & Visin, A guide to convolution arithmetic for deep learning, 2016 (sec. 4).
 */
export function conv2dBackpropInputStridedWasm(
  backend: unknown,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const tapSize = filterHeight * filterWidth * inChannels;
  const rows = batchSize * outHeight * outWidth;
  const columns = batchMatMulWasm({
    inputs: { a: { ...dy, shape: [rows, outChannels] }, b: { ...filter, shape: [tapSize, outChannels] } },
    backend: backend as tf.KernelBackend,
    attrs: { transposeA: false, transposeB: true },
  }) as tf.TensorInfo;
  try {
    return makeFloat32Output('wasm', backend, [batchSize, inHeight, inWidth, inChannels], (dx) => {
      // Views of the heap are taken here, after the last allocation.
      const cols = readFloat32('wasm', backend, { ...columns, shape: [rows * tapSize] });
      for (let n = 0; n < batchSize; n++) {
        for (let p = 0; p < outHeight; p++) {
          for (let q = 0; q < outWidth; q++) {
            const rowBase = ((n * outHeight + p) * outWidth + q) * tapSize;
            for (let a = 0; a < filterHeight; a++) {
              const h = p * strideHeight + a - padTop;
              if (h < 0 || h >= inHeight) continue;
              for (let b = 0; b < filterWidth; b++) {
                const w = q * strideWidth + b - padLeft;
                if (w < 0 || w >= inWidth) continue;
                const dxBase = ((n * inHeight + h) * inWidth + w) * inChannels;
                const colBase = rowBase + (a * filterWidth + b) * inChannels;
                for (let i = 0; i < inChannels; i++) dx[dxBase + i]! += cols[colBase + i]!;
              }
            }
          }
        }
      }
    });
  } finally {
    (backend as unknown as WasmBackendInternals).disposeData(columns.dataId);
  }
}
