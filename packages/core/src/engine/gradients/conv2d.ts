/**
 * Gradients of `Conv2D` and of its input-gradient kernel `Conv2DBackpropInput` (which is also
 * `tf.conv2dTranspose`), so that second-order MAML through convolutions has every piece but the
 * `Conv2DBackpropFilter` gradient (registered with the engine's kernel fixes).
 *
 * Maths: y = x ⋆ w is bilinear: ∂L/∂x = Conv2DBackpropInput(dy, w), ∂L/∂w =
 * Conv2DBackpropFilter(x, dy). The input-gradient z = Conv2DBackpropInput(dy, w) is bilinear in
 * (dy, w): ∂L/∂dy = dz ⋆ w (a forward convolution), ∂L/∂w = Conv2DBackpropFilter(dz, dy).
 * Dilations other than 1 are not supported (as in tfjs).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { single } from './util.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function convAttrs(attrs: tf.NamedAttrMap): { strides: [number, number] | number; pad: Pad; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: Rounding } {
  return {
    strides: attrs['strides'] as [number, number] | number,
    pad: attrs['pad'] as Pad,
    dataFormat: (attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC',
    dimRoundingMode: attrs['dimRoundingMode'] as Rounding,
  };
}

/** `Conv2DBackpropInput(dy, filter)` as a recorded kernel call. */
export function conv2dBackpropInput(inputShape: number[], dy: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...convAttrs(attrs), inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** `Conv2DBackpropFilter(x, dy)` as a recorded kernel call. */
export function conv2dBackpropFilter(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...convAttrs(attrs), filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** `Conv2D`: `dx = Conv2DBackpropInput(dy, w)`, `dw = Conv2DBackpropFilter(x, dy)`. */
export const conv2dGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const g = single(dy);
    const [x, filter] = saved as [tf.Tensor, tf.Tensor];
    const dil = attrs['dilations'] as number | [number, number] | undefined;
    if (dil !== undefined && !tf.backend_util.tupleValuesAreOne(dil)) {
      throw new MetaLearnError('unsupported', `Conv2D gradient: dilations must be 1, got ${String(dil)}`);
    }
    return {
      x: () => conv2dBackpropInput(x.shape, g, filter, attrs),
      filter: () => conv2dBackpropFilter(x, g, filter.shape, attrs),
    };
  },
};

/** `Conv2DBackpropInput`: `ddy = conv2d(ddx, w)`, `dw = Conv2DBackpropFilter(ddx, dy)`. */
export const conv2dBackpropInputGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const g = single(ddx);
    const [dy, filter] = saved as [tf.Tensor, tf.Tensor];
    const a = convAttrs(attrs);
    return {
      dy: () => tf.conv2d(g as tf.Tensor4D, filter as tf.Tensor4D, a.strides, a.pad as 'valid' | 'same' | number, a.dataFormat, 1, a.dimRoundingMode),
      filter: () => conv2dBackpropFilter(g, dy, filter.shape, attrs),
    };
  },
};
