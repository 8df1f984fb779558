/**
 * The `Conv2DBackpropFilter` kernel for the `wasm` backend, which tfjs-backend-wasm 4.22 lacks
 * (so training any conv net on wasm throws). It is one call of wasm's XNNPACK `Conv2D` on
 * transposed tensors, so it runs at convolution speed:
 *
 * dW[a, b, i, o] = sum over n, p, q of x[n, p * sh + a - pt, q * sw + b - pl, i] * dy[n, p, q, o]
 *
 * is the convolution of X' = x transposed to [Ci, H, W, N] (input channels as the batch, the
 * batch as channels) with the filter K = dy transposed to [Ho, Wo, N, Co], dilated by the
 * strides (sh, sw), stride 1, explicit padding (pt, pb', pl, pr') with
 * pb' = fh + (Ho - 1) sh - H - pt (likewise pr'), giving out [Ci, fh, fw, Co]; a negative pb'
 * (rows no window reaches, 'valid' padding) crops x instead. dW is out transposed to
 * [fh, fw, Ci, Co].
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from './backend-io.js';
import { conv2dBackpropInfoWasm, withWasmTemporaries, type Conv2DBackpropAttrs } from './conv2d-backprop-wasm-setup.js';

/** The attributes of `Conv2DBackpropFilter` (tfjs's `Conv2DBackpropFilterAttrs`). */
interface Conv2DBackpropFilterAttrs extends Conv2DBackpropAttrs {
  readonly filterShape: [number, number, number, number];
}

/**
 * The filter gradient of a 2-D convolution on `wasm`.
 * @param args - `inputs.x: float32 [N, H, W, Ci]`, `inputs.dy: float32 [N, Ho, Wo, Co]`,
 *   `attrs` ({@link Conv2DBackpropFilterAttrs}, dilation 1, NHWC), `backend` (the wasm backend).
 * @returns `dW: float32 [fh, fw, Ci, Co]`.
 * @throws MetaLearnError `unsupported` for `dataFormat: 'NCHW'` (as wasm's `Conv2D`).
 * @see Dumoulin & Visin, A guide to convolution arithmetic for deep learning, 2016 (sec. 4).
 */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = conv2dBackpropInfoWasm('conv2dBackpropFilterWasm', a, x.shape as [number, number, number, number], a.filterShape);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;
  return withWasmTemporaries(backend, (run) => {
    let source = x;
    if (padBottom < 0 || padRight < 0) {
      source = run('Slice', { x }, { begin: [0, 0, 0, 0], size: [batchSize, inHeight + Math.min(0, padBottom), inWidth + Math.min(0, padRight), inChannels] });
    }
    const xt = run('Transpose', { x: source }, { perm: [3, 1, 2, 0] });
    const kernel = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const conv = run('Conv2D', { x: xt, filter: kernel }, {
      strides: [1, 1],
      pad: [[0, 0], [padTop, Math.max(0, padBottom)], [padLeft, Math.max(0, padRight)], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [strideHeight, strideWidth],
      dimRoundingMode: undefined,
    });
    return callKernel('Transpose', 'wasm', backend, { x: conv }, { perm: [1, 2, 0, 3] });
  });
};
