/**
 * The `AvgPoolGrad` kernel, fixed on `cpu` and `wasm`. The forward `AvgPool` of both backends
 * divides each window's sum by the number of REAL pixels it covers (TensorFlow's convention for
 * 'same' padding), but tfjs 4.22's `AvgPoolGrad` kernels divide by the full window size
 * `fh * fw`, so the gradient is too small in every border window that overlaps the padding.
 *
 * The fix keeps each backend's own (fast) kernel and rescales its input:
 * dy'[n, p, q, c] = dy[n, p, q, c] * fh * fw / count(p, q), where count(p, q) is the number of
 * real pixels of window (p, q); the original kernel then computes
 * dx[n, h, w, c] = sum over windows (p, q) containing (h, w) of dy'[n, p, q, c] / (fh * fw)
 * = sum of dy[n, p, q, c] / count(p, q), the exact adjoint of the forward pool.
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel, disposeInfo, makeFloat32Constant, type HostBackendName } from './backend-io.js';
import { poolInfo, type MaxPoolGradAttrs } from './kernel-max-pool-grad.js';

/**
 * How many real (non-padding) pixels each window of a 2-D pool covers, divided into the full
 * window size: scale[p, q] = fh * fw / count(p, q).
 * @param info - the pool geometry.
 * @returns `Float32Array [Ho * Wo]` (row-major), or `null` when no window touches the padding.
 */
export function avgPoolBorderScale(info: tf.backend_util.Conv2DInfo): Float32Array | null {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const covered = (start: number, size: number, limit: number): number => Math.min(limit, start + size) - Math.max(0, start);
  const rows = Array.from({ length: outHeight }, (_, p) => covered(p * strideHeight - info.padInfo.top, filterHeight, inHeight));
  const cols = Array.from({ length: outWidth }, (_, q) => covered(q * strideWidth - info.padInfo.left, filterWidth, inWidth));
  if (rows.every((r) => r === filterHeight) && cols.every((c) => c === filterWidth)) return null;
  const scale = new Float32Array(outHeight * outWidth);
  for (let p = 0; p < outHeight; p++) {
    for (let q = 0; q < outWidth; q++) {
      const count = rows[p]! * cols[q]!;
      scale[p * outWidth + q] = count > 0 ? (filterHeight * filterWidth) / count : 0;
    }
  }
  return scale;
}

/**
 * Wraps a backend's original `AvgPoolGrad` kernel function with the border rescaling.
 * @param backendName - `cpu` or `wasm`.
 * @param original - that backend's original `AvgPoolGrad` kernel function.
 * @returns the fixed kernel function: inputs `dy: float32 [N, Ho, Wo, C]`,
 *   `input: float32 [N, H, W, C]`; attrs `filterSize, strides, pad` (and `dimRoundingMode`);
 *   output `dx: float32 [N, H, W, C]`.
 */
export function avgPoolGradKernel(backendName: HostBackendName, original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const scale = avgPoolBorderScale(poolInfo(input.shape, attrs as unknown as MaxPoolGradAttrs));
    if (scale === null) return original({ inputs, backend, attrs });
    const [, outHeight, outWidth] = dy.shape;
    const scaleInfo = makeFloat32Constant(backendName, backend, [1, outHeight!, outWidth!, 1], scale);
    const scaled = callKernel('Multiply', backendName, backend, { a: dy, b: scaleInfo }, {});
    disposeInfo(backendName, backend, scaleInfo);
    const dx = original({ inputs: { dy: scaled, input }, backend, attrs });
    disposeInfo(backendName, backend, scaled);
    return dx;
  };
}
