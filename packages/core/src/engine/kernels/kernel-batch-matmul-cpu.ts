/**
 * Batch broadcasting fix of tfjs-backend-cpu 4.22's `BatchMatMul`. That kernel flattens each
 * operand's batch dimensions to one, computes max(B_a, B_b) products and pairs batch t of the
 * output with batches t mod B_a and t mod B_b: right when each flat batch is 1 or the whole
 * broadcast batch, wrong otherwise (a: [2, 1, M, K] with b: [3, K, N] must give 6 products,
 * out[i, j] = a[i, 0] b[j]; it gives 3, paired wrongly). Here an operand whose batch is neither
 * is first tiled to the broadcast batch shape (a copy of O(size), by cpu's `Tile`), then the
 * original kernel runs; every other call goes straight to it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from './backend-io.js';

/** The part of tfjs-backend-cpu's `MathBackendCPU` used here. */
interface CpuBackendLike {
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

/**
 * Wraps cpu's `BatchMatMul` kernel function with the broadcasting fix.
 * @param original - the registered cpu `BatchMatMul` kernel function.
 * @returns a kernel function with `inputs.a: [...batchA, M, K]`, `inputs.b: [...batchB, K, N]`
 *   (transposed per `attrs`), giving `out: [...broadcast(batchA, batchB), M, N]` with
 *   out[t] = op(a)[t_A] op(b)[t_B] under NumPy broadcasting.
 */
export function batchMatMulCpuKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const batchShapeA = a.shape.slice(0, -2);
    const batchShapeB = b.shape.slice(0, -2);
    if (a.shape.length < 2 || b.shape.length < 2) return original(args);
    let outBatch: number[];
    try {
      outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
    } catch {
      return original(args); // its own error message
    }
    const total = tf.util.sizeFromShape(outBatch);
    const fits = (batch: number[]): boolean => {
      const size = tf.util.sizeFromShape(batch);
      return size === 1 || size === total;
    };
    if (fits(batchShapeA) && fits(batchShapeB)) return original(args);
    const temps: tf.TensorInfo[] = [];
    const tiled = (x: tf.TensorInfo, batch: number[]): tf.TensorInfo => {
      if (fits(batch)) return x;
      const padded = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
      const reps = [...outBatch.map((d, i) => d / padded[i]!), 1, 1];
      const out = callKernel('Tile', 'cpu', args.backend, { x: { ...x, shape: [...padded, ...x.shape.slice(-2)] } }, { reps });
      temps.push(out);
      return out;
    };
    try {
      return original({ ...args, inputs: { a: tiled(a, batchShapeA), b: tiled(b, batchShapeB) } });
    } finally {
      for (const t of temps) (args.backend as unknown as CpuBackendLike).disposeIntermediateTensorInfo(t);
    }
  };
}
