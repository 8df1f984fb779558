/**
 * The `Conv2DBackpropFilter` kernel for the `wasm` backend, which tfjs-backend-wasm 4.22 lacks
 * (so training any conv net on wasm throws). With x: [N, H, W, Ci], dy: [N, Ho, Wo, Co], strides
 * (sh, sw), top/left padding (pt, pl) and M = N Ho Wo output positions m = (n, p, q):
 *
 * dW[a, b, i, o] = sum over m of x[n, p sh + a - pt, q sw + b - pl, i] dy[m, o]   (0 outside x)
 *
 * i.e. dW^T = dy^T P, `[Co, M] x [M, fh fw Ci]`, with P the patch matrix (im2col) of x:
 * P[m, (a, b, i)] = x[n, p sh + a - pt, q sw + b - pl, i]. P is built by copying runs of Ci
 * contiguous channels (a memory copy, no arithmetic) and the product runs on XNNPACK
 * ({@link xnnMatMulInto}), in blocks of at most {@link PATCH_BLOCK_FLOATS} patch values (the
 * blocks' products summed), so the extra memory stays bounded for large images; XNNPACK packs
 * its B operand on every call, so B is the smaller of dy and P (see {@link fewTapsFilterGrad}). This does only
 * the N Ho Wo fh fw Ci Co multiply-adds of the gradient, and no whole-tensor 4-D transpose: the
 * earlier route (a dilated XNNPACK Conv2D on x transposed to [Ci, H, W, N]) spent most of its time
 * in that transpose (6.5 ms of 25 ms on [75, 14, 14, 64], 3x3x64x64, stride 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropInfoWasm, type Conv2DBackpropAttrs } from './conv2d-backprop-wasm-setup.js';
import { callKernel } from './backend-io.js';
import { heapOffset, xnnMatMulInto, type WasmBackendInternals } from './xnn-matmul-wasm.js';

/** The attributes of `Conv2DBackpropFilter` (tfjs's `Conv2DBackpropFilterAttrs`). */
interface Conv2DBackpropFilterAttrs extends Conv2DBackpropAttrs {
  readonly filterShape: [number, number, number, number];
}

/** The most patch values (floats) held at once: 2^21, 8 MiB. */
export const PATCH_BLOCK_FLOATS = 1 << 21;

/** The part of the wasm backend read here besides {@link WasmBackendInternals}. */
interface WasmHeapReader {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  readonly wasm: { readonly HEAPU8: Uint8Array };
}

/** The whole wasm heap as float32 (a fresh view: the heap may have grown since the last one). */
function heapFloat32(backend: WasmHeapReader): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

/**
 * The filter gradient of a 2-D convolution on `wasm`.
 * @param args - `inputs.x: float32 [N, H, W, Ci]`, `inputs.dy: float32 [N, Ho, Wo, Co]`,
 *   `attrs` ({@link Conv2DBackpropFilterAttrs}, dilation 1, NHWC), `backend` (the wasm backend).
 * @returns `dW: float32 [fh, fw, Ci, Co]`.
 * @throws MetaLearnError `unsupported` for `dataFormat: 'NCHW'` (as wasm's `Conv2D`).
 * @see Chellapilla, Puri & Simard 2006, "High Performance Convolutional Neural Networks for
 *   Document Processing" (convolution as a matrix product of unrolled patches).
 */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = conv2dBackpropInfoWasm('conv2dBackpropFilterWasm', a, x.shape as [number, number, number, number], a.filterShape);
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const wasm = backend as unknown as WasmBackendInternals;
  const heap = backend as unknown as WasmHeapReader;
  const taps = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  const out = wasm.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  if (taps * outChannels === 0) return out;
  if (taps < outChannels && positions * taps <= PATCH_BLOCK_FLOATS) return fewTapsFilterGrad(wasm, backend, x, dy, out, info, positions, taps);
  const blockRows = Math.max(1, Math.min(positions, Math.floor(PATCH_BLOCK_FLOATS / taps)));
  const blocks = Math.ceil(positions / blockRows);
  const acc = blocks > 1 ? new Float32Array(taps * outChannels) : undefined; // dW summed over blocks
  const product = blocks > 1 ? wasm.makeOutput([taps, outChannels], 'float32') : out;
  try {
    for (let m0 = 0; m0 < positions; m0 += blockRows) {
      const rows = Math.min(blockRows, positions - m0);
      const patches = wasm.makeOutput([rows, taps], 'float32');
      let patchesT: tf.TensorInfo | undefined;
      try {
        fillPatches(heapFloat32(heap), heapOffset(wasm, x) / 4, heapOffset(wasm, patches) / 4, m0, rows, info, padTop, padLeft);
        // XNNPACK packs its B operand on every call (a fresh operator), so B is the small dy
        // block and A the patches transposed (wasm's 2-D Transpose, about a copy).
        patchesT = callKernel('Transpose', 'wasm', backend, { x: patches }, { perm: [1, 0] });
        xnnMatMulInto(wasm, heapOffset(wasm, patchesT), heapOffset(wasm, dy) + m0 * outChannels * 4, heapOffset(wasm, product), taps, rows, outChannels);
      } finally {
        wasm.disposeData(patches.dataId);
        if (patchesT !== undefined) wasm.disposeData(patchesT.dataId);
      }
      if (acc !== undefined) {
        const prod = heap.typedArrayFromHeap(product);
        for (let j = 0; j < acc.length; j++) acc[j]! += prod[j]!;
      }
    }
    if (acc !== undefined) heap.typedArrayFromHeap(out).set(acc);
  } catch (err) {
    wasm.disposeData(out.dataId);
    throw err;
  } finally {
    if (product !== out) wasm.disposeData(product.dataId);
  }
  return out;
};

/**
 * dW when the patch matrix is the smaller operand (fh fw Ci < Co, e.g. a first layer on one
 * channel): dW^T = dy^T P, `[Co, M] x [M, fh fw Ci]`, so XNNPACK packs P rather than the larger
 * dy; dy^T by wasm's 2-D Transpose, dW^T transposed into `out` here (fh fw Ci Co values).
 */
function fewTapsFilterGrad(
  wasm: WasmBackendInternals,
  backend: unknown,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  out: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  positions: number,
  taps: number,
): tf.TensorInfo {
  const co = info.outChannels;
  const heap = backend as unknown as WasmHeapReader;
  const patches = wasm.makeOutput([positions, taps], 'float32');
  const product = wasm.makeOutput([co, taps], 'float32');
  let dyT: tf.TensorInfo | undefined;
  try {
    dyT = callKernel('Transpose', 'wasm', backend, { x: { ...dy, shape: [positions, co] } }, { perm: [1, 0] });
    fillPatches(heapFloat32(heap), heapOffset(wasm, x) / 4, heapOffset(wasm, patches) / 4, 0, positions, info, info.padInfo.top, info.padInfo.left);
    xnnMatMulInto(wasm, heapOffset(wasm, dyT), heapOffset(wasm, patches), heapOffset(wasm, product), co, positions, taps);
    const prod = heap.typedArrayFromHeap(product);
    const dw = heap.typedArrayFromHeap(out);
    for (let o = 0; o < co; o++) for (let t = 0; t < taps; t++) dw[t * co + o] = prod[o * taps + t]!;
    return out;
  } catch (err) {
    wasm.disposeData(out.dataId);
    throw err;
  } finally {
    wasm.disposeData(patches.dataId);
    wasm.disposeData(product.dataId);
    if (dyT !== undefined) wasm.disposeData(dyT.dataId);
  }
}

/**
 * Writes the patch rows m0..m0+rows-1 of x: `P[r, (a, b, i)] = x[n, p sh + a - pt, q sw + b - pl, i]`
 * for m = m0 + r = (n, p, q), 0 where the tap falls outside x. Runs of channels are copied within
 * the heap (`copyWithin`: no allocation per run): fw Ci values per filter row when the row's taps
 * are all inside x, else Ci per tap.
 * @param heap - the whole wasm heap as float32.
 * @param xAt - index in `heap` of `x: float32 [N, H, W, Ci]`.
 * @param pAt - index in `heap` of `P: float32 [rows, fh fw Ci]`, overwritten.
 */
function fillPatches(heap: Float32Array, xAt: number, pAt: number, m0: number, rows: number, info: tf.backend_util.Conv2DInfo, padTop: number, padLeft: number): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const taps = fh * fw * ci;
  const perImage = outHeight * outWidth;
  for (let r = 0; r < rows; r++) {
    const m = m0 + r;
    const n = Math.floor(m / perImage);
    const pq = m - n * perImage;
    const pRow = Math.floor(pq / outWidth);
    const q = pq - pRow * outWidth;
    const rowBase = pAt + r * taps;
    for (let ta = 0; ta < fh; ta++) {
      const h = pRow * sh + ta - padTop;
      const tapRow = rowBase + ta * fw * ci;
      if (h < 0 || h >= inHeight) {
        heap.fill(0, tapRow, tapRow + fw * ci);
        continue;
      }
      const imageRow = (n * inHeight + h) * inWidth;
      const w0 = q * sw - padLeft;
      if (w0 >= 0 && w0 + fw <= inWidth) {
        // The fw taps of this row are fw adjacent pixels: one run of fw Ci values.
        const src = xAt + (imageRow + w0) * ci;
        heap.copyWithin(tapRow, src, src + fw * ci);
        continue;
      }
      for (let tb = 0; tb < fw; tb++) {
        const w = q * sw + tb - padLeft;
        const dst = tapRow + tb * ci;
        if (w < 0 || w >= inWidth) {
          heap.fill(0, dst, dst + ci);
          continue;
        }
        const src = xAt + (imageRow + w) * ci;
        if (ci >= 16) heap.copyWithin(dst, src, src + ci);
        else for (let i = 0; i < ci; i++) heap[dst + i] = heap[src + i]!;
      }
    }
  }
}
