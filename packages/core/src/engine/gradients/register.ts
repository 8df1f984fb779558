/**
 * Registers metalearn's gradients into tfjs's gradient registry.
 *
 * Why: `@tensorflow/tfjs-core` 4.22 in Node.js (its CommonJS build, which is what resolves)
 * registers *no* gradients at all — only the `@tensorflow/tfjs` umbrella package does — and the
 * gradients tfjs ships are not all twice differentiable: those that reuse the kernel's saved
 * output (Exp, Tanh, Sigmoid, Softmax, Elu, the exponent side of Pow, LRN) silently lose the
 * second-order path (the saved copy is recorded on the tape before its producer, so the tape
 * never connects it); comparisons and logical ops have no gradient, so second derivatives
 * through max, relu6, clipByValue, where, maximum... threw; the backward kernels `MaxPoolGrad`,
 * `AvgPoolGrad`, `EluGrad`, `LRNGrad` have no gradient (EluGrad and LRNGrad are no longer used); and some first derivatives are wrong
 * (AvgPool with padding, Maximum/Minimum with broadcasting, FloorDiv). Every gradient here is
 * computed from the kernel's *inputs* with differentiable ops (or from native backward kernels
 * that get their own gradients with the kernel fixes), so the backward pass is itself recorded and can be
 * differentiated again.
 *
 * The gradients of the backward kernels `Conv2DBackpropFilter`, `MaxPoolGrad` and `AvgPoolGrad`
 * (and the kernel fixes they rely on) are registered with the engine's kernel fixes
 * (kernels/register.ts), after these.
 *
 * Not registered (no use in MLP/Conv nets or the losses): depthwise/3-D convolutions and pools, Dilation2D, Cumsum, Cumprod,
 * Prod, MirrorPad, ResizeBilinear/NearestNeighbor, Space/BatchToSpaceND, StridedSlice, Einsum.
 * A missing gradient throws; it is never silently wrong.
 *
 * Idempotent: registering again replaces each entry with the same config. Safe to call again
 * after another copy of tfjs has overwritten the registry (e.g. loading `@tensorflow/tfjs-node`,
 * whose `@tensorflow/tfjs` registers its own gradients into the same global registry).
 */
import * as tf from '@tensorflow/tfjs-core';
import { absGradConfig } from './abs.js';
import { acosGradConfig } from './acos.js';
import { acoshGradConfig } from './acosh.js';
import { addGradConfig, subGradConfig } from './add.js';
import { asinGradConfig } from './asin.js';
import { asinhGradConfig } from './asinh.js';
import { atanGradConfig } from './atan.js';
import { atan2GradConfig } from './atan2.js';
import { atanhGradConfig } from './atanh.js';
import { avgPoolGradConfig } from './avg-pool.js';
import { batchMatMulGradConfig } from './batch-mat-mul.js';
import { clipByValueGradConfig } from './clip-by-value.js';
import { concatGradConfig, packGradConfig, splitVGradConfig, tileGradConfig, unpackGradConfig } from './concat.js';
import { conv2dBackpropInputGradConfig, conv2dGradConfig } from './conv2d.js';
import { cosGradConfig } from './cos.js';
import { coshGradConfig } from './cosh.js';
import { eluGradConfig } from './elu.js';
import { erfGradConfig } from './erf.js';
import { expGradConfig } from './exp.js';
import { expm1GradConfig } from './expm1.js';
import { fusedBatchNormGradConfig } from './fused-batch-norm.js';
import { gatherNdGradConfig, gatherV2GradConfig, scatterNdGradConfig, unsortedSegmentSumGradConfig } from './gather.js';
import { leakyReluGradConfig } from './leaky-relu.js';
import { logGradConfig } from './log.js';
import { log1pGradConfig } from './log1p.js';
import { lrnGradConfig } from './lrn.js';
import { maxGradConfig, minGradConfig } from './max.js';
import { maxPoolGradConfig } from './max-pool.js';
import { maximumGradConfig, minimumGradConfig } from './maximum.js';
import { modGradConfig } from './mod.js';
import { multiplyGradConfig } from './multiply.js';
import { addNGradConfig, castGradConfig, identityGradConfig, negGradConfig } from './pass-through.js';
import { piecewiseConstantGradConfigs } from './piecewise-constant.js';
import { powGradConfig } from './pow.js';
import { preluGradConfig } from './prelu.js';
import { realDivGradConfig } from './real-div.js';
import { reciprocalGradConfig } from './reciprocal.js';
import { reluGradConfig } from './relu.js';
import { relu6GradConfig } from './relu6.js';
import { broadcastToGradConfig, expandDimsGradConfig, reshapeGradConfig, reverseGradConfig, transposeGradConfig } from './reshape.js';
import { rsqrtGradConfig } from './rsqrt.js';
import { selectGradConfig } from './select.js';
import { seluGradConfig } from './selu.js';
import { sigmoidGradConfig } from './sigmoid.js';
import { sinGradConfig } from './sin.js';
import { sinhGradConfig } from './sinh.js';
import { padV2GradConfig, sliceGradConfig } from './slice.js';
import { softmaxGradConfig } from './softmax.js';
import { softplusGradConfig } from './softplus.js';
import { sqrtGradConfig } from './sqrt.js';
import { squareGradConfig } from './square.js';
import { squaredDifferenceGradConfig } from './squared-difference.js';
import { meanGradConfig, sumGradConfig } from './sum.js';
import { tanGradConfig } from './tan.js';
import { tanhGradConfig } from './tanh.js';

/** Every gradient metalearn registers, in registration order. */
export const GRADIENT_CONFIGS: readonly tf.GradConfig[] = [
  // elementwise unary
  absGradConfig, acosGradConfig, acoshGradConfig, asinGradConfig, asinhGradConfig, atanGradConfig, atanhGradConfig,
  cosGradConfig, coshGradConfig, sinGradConfig, sinhGradConfig, tanGradConfig, tanhGradConfig,
  expGradConfig, expm1GradConfig, logGradConfig, log1pGradConfig, sqrtGradConfig, rsqrtGradConfig,
  reciprocalGradConfig, squareGradConfig, erfGradConfig, sigmoidGradConfig, softplusGradConfig,
  reluGradConfig, relu6GradConfig, eluGradConfig, seluGradConfig, leakyReluGradConfig, preluGradConfig,
  clipByValueGradConfig, identityGradConfig, castGradConfig, negGradConfig, addNGradConfig,
  ...piecewiseConstantGradConfigs,
  // elementwise binary
  addGradConfig, subGradConfig, multiplyGradConfig, realDivGradConfig, squaredDifferenceGradConfig,
  maximumGradConfig, minimumGradConfig, powGradConfig, atan2GradConfig, modGradConfig, selectGradConfig,
  // reductions
  sumGradConfig, meanGradConfig, maxGradConfig, minGradConfig,
  // layout
  reshapeGradConfig, expandDimsGradConfig, transposeGradConfig, reverseGradConfig, broadcastToGradConfig,
  sliceGradConfig, padV2GradConfig, concatGradConfig, packGradConfig, unpackGradConfig, splitVGradConfig, tileGradConfig,
  gatherV2GradConfig, gatherNdGradConfig, scatterNdGradConfig, unsortedSegmentSumGradConfig,
  // linear algebra and networks
  batchMatMulGradConfig, softmaxGradConfig, fusedBatchNormGradConfig, conv2dGradConfig, conv2dBackpropInputGradConfig,
  maxPoolGradConfig, avgPoolGradConfig, lrnGradConfig,
];

/** Registers every gradient of {@link GRADIENT_CONFIGS} (idempotent). */
export function registerGradientFixes(): void {
  for (const config of GRADIENT_CONFIGS) tf.registerGradient(config);
}
