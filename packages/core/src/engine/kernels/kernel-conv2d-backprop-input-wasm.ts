/**
 * A faster `Conv2DBackpropInput` kernel for the `wasm` backend. tfjs-backend-wasm 4.22's own is a
 * direct loop, ~10x slower than the forward XNNPACK `Conv2D` of the same layer (measured 257 ms
 * vs 27 ms on [25, 42, 42, 32] with a 3x3x32x32 filter). At stride 1 this one is one XNNPACK
 * `Conv2D`:
 *
 * dx[n, r, c, i] = Σ_{a, b, o} dy[n, r + pt - a, c + pl - b, o] W[a, b, i, o]
 *
 * i.e. the stride-1 convolution of dy with the filter K[a', b', o, i] = W[fh - 1 - a', fw - 1 - b', i, o]
 * (rotated by 180° and with its channels swapped), explicit padding pt' = fh - 1 - pt on top
 * (likewise left) and whatever makes the output H x W at the bottom (rows beyond it are cropped);
 * it costs what the forward convolution costs. At stride > 1 it is `dy W^T` and col2im
 * (conv2d-backprop-input-strided-wasm.ts), which skips the zeros a dilated dy would multiply.
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from './backend-io.js';
import { conv2dBackpropInputStridedWasm } from './conv2d-backprop-input-strided-wasm.js';
import { conv2dBackpropInfoWasm, withWasmTemporaries, type Conv2DBackpropAttrs } from './conv2d-backprop-wasm-setup.js';

/** The attributes of `Conv2DBackpropInput` (tfjs's `Conv2DBackpropInputAttrs`). */
interface Conv2DBackpropInputAttrs extends Conv2DBackpropAttrs {
  readonly inputShape: [number, number, number, number];
}

/**
 * The input gradient of a 2-D convolution on `wasm` (also `tf.conv2dTranspose`).
 * @param args - `inputs.dy: float32 [N, Ho, Wo, Co]`, `inputs.filter: float32 [fh, fw, Ci, Co]`,
 *   `attrs` ({@link Conv2DBackpropInputAttrs}, dilation 1, NHWC), `backend` (the wasm backend).
 * @returns `dx: float32 [N, H, W, Ci]` (`attrs.inputShape`).
 * @throws MetaLearnError `unsupported` for `dataFormat: 'NCHW'`.
 * @see Dumoulin & Visin, A guide to convolution arithmetic for deep learning, 2016 (sec. 4.5-4.6).
 */
export const conv2dBackpropInputWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  const info = conv2dBackpropInfoWasm('conv2dBackpropInputWasm', a, a.inputShape, filter.shape as [number, number, number, number]);
  const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  if (sh > 1 || sw > 1) return conv2dBackpropInputStridedWasm(backend, dy, filter, info); // no zero-dilated dy: dy W^T + col2im (H7)
  return withWasmTemporaries(backend, (run) => {
    // Padding of the stride-1 convolution; negative amounts crop dy instead.
    const top = fh - 1 - info.padInfo.top;
    const left = fw - 1 - info.padInfo.left;
    const bottom = inHeight + fh - 1 - outHeight - top;
    const right = inWidth + fw - 1 - outWidth - left;
    let source = dy;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) {
      const begin = [0, Math.max(0, -top), Math.max(0, -left), 0];
      const size = [batchSize, outHeight - begin[1]! - Math.max(0, -bottom), outWidth - begin[2]! - Math.max(0, -right), outChannels];
      source = run('Slice', { x: dy }, { begin, size });
    }
    const flipped = run('Reverse', { x: filter }, { dims: [0, 1] });
    const kernel = run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    return callKernel('Conv2D', 'wasm', backend, { x: source, filter: kernel }, {
      strides: [1, 1],
      pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    });
  });
};
