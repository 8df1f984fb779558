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
 * image, at most N Ho Wo fh fw Ci additions (1/Co of the product's work), done as a gather
 * ({@link col2im}).
 *
 * The alternative, a stride-1 convolution of dy dilated with zeros, multiplies by zeros
 * 1 - 1/(sh sw) of the time: this route does only the needed N Ho Wo fh fw Ci Co
 * multiply-adds (measured 2-3x faster at stride 2 on Conv-4 Omniglot shapes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulWasm } from './kernel-batch-matmul-wasm.js';
import { heapOffset, type WasmBackendInternals } from './xnn-matmul-wasm.js';

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
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const tapSize = filterHeight * filterWidth * inChannels;
  const rows = batchSize * outHeight * outWidth;
  const columns = batchMatMulWasm({
    inputs: { a: { ...dy, shape: [rows, outChannels] }, b: { ...filter, shape: [tapSize, outChannels] } },
    backend: backend as tf.KernelBackend,
    attrs: { transposeA: false, transposeB: true },
  }) as tf.TensorInfo;
  try {
    const wasm = backend as unknown as WasmBackendInternals & { readonly wasm: { readonly HEAPU8: Uint8Array } };
    const dx = wasm.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
    // One float32 view of the whole heap, taken after the last allocation.
    const heap = new Float32Array(wasm.wasm.HEAPU8.buffer);
    col2im(heap, heapOffset(wasm, columns) / 4, heapOffset(wasm, dx) / 4, info, tapSize);
    return dx;
  } finally {
    (backend as unknown as WasmBackendInternals).disposeData(columns.dataId);
  }
}

/**
 * The (output index, tap) pairs reaching each input index along one axis: for input index h, every
 * p < out with a = h + pad - p * stride in [0, taps), p ascending.
 * @returns per h, a flat list [p0, a0, p1, a1, ...].
 */
function reaching(inSize: number, outSize: number, taps: number, stride: number, pad: number): number[][] {
  return Array.from({ length: inSize }, (_, h) => {
    const pairs: number[] = [];
    for (let p = Math.max(0, Math.ceil((h + pad - taps + 1) / stride)); p < outSize && p * stride <= h + pad; p++) pairs.push(p, h + pad - p * stride);
    return pairs;
  });
}

/**
 * col2im as a gather: each dx pixel's channel run is the sum of the column slices that reach it,
 * `dx[n, h, w, :] = sum over (p, a), (q, b) reaching (h, w) of C[(n, p, q), (a, b, :)]`: the first
 * slice copied (`copyWithin`), the others added, each dx value written once (0 where no tap
 * reaches). At stride 2 with a 3x3 filter a pixel has 2.25 slices on average: 1.25 additions per
 * value instead of 2.25 read-modify-writes of the scatter form.
 * @param heap - the whole wasm heap as float32.
 * @param colAt - index in `heap` of `C: float32 [N Ho Wo, fh fw Ci]`.
 * @param dxAt - index in `heap` of `dx: float32 [N, H, W, Ci]`, overwritten.
 */
function col2im(heap: Float32Array, colAt: number, dxAt: number, info: tf.backend_util.Conv2DInfo, tapSize: number): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const rows = reaching(inHeight, outHeight, filterHeight, strideHeight, info.padInfo.top);
  const cols = reaching(inWidth, outWidth, filterWidth, strideWidth, info.padInfo.left);
  for (let n = 0; n < batchSize; n++) {
    for (let h = 0; h < inHeight; h++) {
      const rh = rows[h]!;
      for (let w = 0; w < inWidth; w++) {
        const rw = cols[w]!;
        const dst = dxAt + ((n * inHeight + h) * inWidth + w) * ci;
        let first = true;
        for (let i1 = 0; i1 < rh.length; i1 += 2) {
          const rowBase = colAt + (n * outHeight + rh[i1]!) * outWidth * tapSize + rh[i1 + 1]! * filterWidth * ci;
          for (let j1 = 0; j1 < rw.length; j1 += 2) {
            const src = rowBase + rw[j1]! * tapSize + rw[j1 + 1]! * ci;
            if (first) {
              heap.copyWithin(dst, src, src + ci);
              first = false;
            } else {
              for (let i = 0; i < ci; i++) heap[dst + i]! += heap[src + i]!;
            }
          }
        }
        if (first) heap.fill(0, dst, dst + ci);
      }
    }
  }
}
