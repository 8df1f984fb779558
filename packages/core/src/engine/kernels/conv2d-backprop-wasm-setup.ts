/**
 * What the two wasm convolution-gradient kernels (`Conv2DBackpropFilter`, `Conv2DBackpropInput`)
 * share: their common attributes, the NHWC check and the convolution geometry (dilation 1), and
 * running the wasm kernels they are composed of with every intermediate freed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { callKernel, disposeInfo } from './backend-io.js';

/** The attributes tfjs's `Conv2DBackpropFilterAttrs` and `Conv2DBackpropInputAttrs` share. */
export interface Conv2DBackpropAttrs {
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dataFormat: 'NHWC' | 'NCHW';
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The geometry of the convolution whose gradient a wasm kernel computes.
 * @param fn - the kernel function, for the message.
 * @param attrs - the kernel's attributes.
 * @param xShape - the convolution's input `[N, H, W, Ci]`.
 * @param filterShape - its filter `[fh, fw, Ci, Co]`.
 * @returns `computeConv2DInfo` with dilation 1, channels last.
 * @throws MetaLearnError `unsupported` for `dataFormat: 'NCHW'` (as wasm's `Conv2D`).
 */
export function conv2dBackpropInfoWasm(
  fn: string,
  attrs: Conv2DBackpropAttrs,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') {
    throw new MetaLearnError('unsupported', `${fn}: attrs.dataFormat must be 'NHWC' on wasm, got 'NCHW'`);
  }
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/** Runs one registered wasm kernel on intermediate tensors (see {@link withWasmTemporaries}). */
export type RunWasmKernel = (kernelName: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>) => tf.TensorInfo;

/**
 * Runs `body` with a `run` that calls wasm kernels and keeps their outputs as temporaries, all
 * freed when `body` returns or throws. The kernel's own output must come from `callKernel`
 * directly, not from `run`.
 * @param backend - the wasm backend (`args.backend` of the kernel function).
 * @param body - composes the kernel from `run` calls.
 * @returns what `body` returns.
 */
export function withWasmTemporaries<T>(backend: unknown, body: (run: RunWasmKernel) => T): T {
  const temps: tf.TensorInfo[] = [];
  const run: RunWasmKernel = (kernelName, inputs, attrs) => {
    const out = callKernel(kernelName, 'wasm', backend, inputs, attrs);
    temps.push(out);
    return out;
  };
  try {
    return body(run);
  } finally {
    for (const t of temps) disposeInfo('wasm', backend, t);
  }
}
