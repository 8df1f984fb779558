/**
 * `_FusedMatMul` (`tf.fused.matMul`) for the `wasm` backend on the fast product. The stock
 * tfjs-backend-wasm 4.22 kernel runs the same C product as `BatchMatMul` (XNNPACK only with no
 * transposes and one batch, a scalar loop otherwise), accepts only a rank-1 bias, and caches its
 * XNNPACK operator under b's tensor id alone (wrong values when that data is reused with another
 * shape). This one composes, as tfjs's cpu kernel does:
 *
 * out = act(op(a) op(b) + bias), op = transpose when asked, bias broadcast to the product,
 *
 * with the product from {@link batchMatMulWasm}, the bias by wasm's `Add` (any broadcastable
 * shape) and the activation by wasm's own kernel (`Relu`, `Relu6`, `Elu`, `Prelu`, `LeakyRelu`,
 * `Sigmoid`; `linear` is none). The two extra passes cost O(M N) against the product's O(M K N).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { callKernel } from './backend-io.js';
import { batchMatMulWasm } from './kernel-batch-matmul-wasm.js';
import type { WasmBackendInternals } from './xnn-matmul-wasm.js';

/** The attributes of `_FusedMatMul` (tfjs's `_FusedMatMulAttrs`). */
interface FusedMatMulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly activation: 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu' | 'sigmoid' | 'elu';
  readonly leakyreluAlpha?: number;
}

/** The wasm kernel applying each activation to `x` (and its attributes / extra inputs). */
function activationCall(
  attrs: FusedMatMulAttrs,
  x: tf.TensorInfo,
  preluActivationWeights: tf.TensorInfo | undefined,
): { kernelName: string; inputs: Record<string, tf.TensorInfo>; attrs: Record<string, unknown> } | undefined {
  switch (attrs.activation) {
    case 'linear':
      return undefined;
    case 'relu':
      return { kernelName: 'Relu', inputs: { x }, attrs: {} };
    case 'relu6':
      return { kernelName: 'Relu6', inputs: { x }, attrs: {} };
    case 'elu':
      return { kernelName: 'Elu', inputs: { x }, attrs: {} };
    case 'sigmoid':
      return { kernelName: 'Sigmoid', inputs: { x }, attrs: {} };
    case 'leakyrelu':
      return { kernelName: 'LeakyRelu', inputs: { x }, attrs: { alpha: attrs.leakyreluAlpha ?? 0.2 } };
    case 'prelu':
      if (preluActivationWeights === undefined) {
        throw new MetaLearnError('invalidArgument', "fusedMatMulWasm: inputs.preluActivationWeights must be given for activation 'prelu'");
      }
      return { kernelName: 'Prelu', inputs: { x, alpha: preluActivationWeights }, attrs: {} };
    default:
      throw new MetaLearnError('unsupported', `fusedMatMulWasm: attrs.activation must be one of linear, relu, relu6, elu, sigmoid, leakyrelu, prelu; got ${String(attrs.activation)}`);
  }
}

/**
 * The fused matrix product on `wasm`: `act(op(a) op(b) + bias)`.
 * @param args - `inputs.a: float32 [...batchA, M, K]` (`[..., K, M]` when `transposeA`),
 *   `inputs.b: float32 [...batchB, K, N]` (`[..., N, K]` when `transposeB`), optional
 *   `inputs.bias` (broadcastable to the product), optional `inputs.preluActivationWeights`;
 *   `attrs` `{ transposeA, transposeB, activation, leakyreluAlpha }`; `backend` (wasm).
 * @returns `out: float32 [...broadcast(batchA, batchB), M, N]`.
 * @throws MetaLearnError as {@link batchMatMulWasm}; `unsupported` for an unknown activation;
 *   `invalidArgument` for `'prelu'` without weights.
 */
export const fusedMatMulWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b, bias, preluActivationWeights } = inputs as {
    a: tf.TensorInfo;
    b: tf.TensorInfo;
    bias?: tf.TensorInfo;
    preluActivationWeights?: tf.TensorInfo;
  };
  const fused = attrs as unknown as FusedMatMulAttrs;
  const wasm = backend as unknown as WasmBackendInternals;
  let current = batchMatMulWasm({ inputs: { a, b }, backend, attrs: { transposeA: fused.transposeA, transposeB: fused.transposeB } }) as tf.TensorInfo;
  try {
    if (bias !== undefined && bias !== null) {
      const sum = callKernel('Add', 'wasm', backend, { a: current, b: bias }, {});
      wasm.disposeData(current.dataId);
      current = sum;
    }
    const call = activationCall(fused, current, preluActivationWeights ?? undefined);
    if (call !== undefined) {
      const activated = callKernel(call.kernelName, 'wasm', backend, call.inputs, call.attrs);
      wasm.disposeData(current.dataId);
      current = activated;
    }
  } catch (err) {
    wasm.disposeData(current.dataId);
    throw err;
  }
  return current;
};
