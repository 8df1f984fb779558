/**
 * Gradient of `Conv2DBackpropFilter`, dW = F(x, dy), which tfjs 4.22 lacks on every backend
 * (so second-order MAML through a conv layer threw). F is bilinear: for an upstream ddW
 * (shaped like the filter),
 * d<ddW, dW>/dx = Conv2DBackpropInput(x.shape, dy, ddW) and d<ddW, dW>/d dy = Conv2D(x, ddW),
 * both differentiable again (gradients/conv2d.ts), so every order is exact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropInput } from '../gradients/conv2d.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/**
 * Inputs `x: float32 [N, H, W, Ci]`, `dy: float32 [N, Ho, Wo, Co]`; upstream
 * `ddW: float32 [fh, fw, Ci, Co]`; attrs `strides, pad, dataFormat, dimRoundingMode, filterShape`
 * (dilation 1).
 */
export const conv2dBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor, tf.Tensor];
    const g = (Array.isArray(ddw) ? ddw[0]! : ddw) as tf.Tensor4D;
    const strides = attrs['strides'] as number | [number, number];
    const pad = attrs['pad'] as Pad;
    const dataFormat = (attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
    const dimRoundingMode = attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined;
    return {
      x: () => conv2dBackpropInput([...x.shape], dy, g, attrs),
      dy: () => tf.conv2d(x as tf.Tensor4D, g, strides, pad as 'valid' | 'same' | number, dataFormat, 1, dimRoundingMode),
    };
  },
};
