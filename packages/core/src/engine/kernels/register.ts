/**
 * Registers the added and fixed kernels, and the gradients that tfjs 4.22 lacks for them.
 *
 * | registry entry                         | backends   | what                                         |
 * | -------------------------------------- | ---------- | -------------------------------------------- |
 * | kernel `Conv2DBackpropFilter`          | wasm       | added (missing): patches^T dy on XNNPACK      |
 * | kernel `Conv2DBackpropInput`           | wasm       | replaced: XNNPACK Conv2D, ~10x faster         |
 * | kernel `BatchMatMul`, `_FusedMatMul`   | wasm       | replaced: XNNPACK for every transpose/batch   |
 * | kernel `BatchMatMul`                   | cpu        | wrapped: batch broadcasting (tiles first)     |
 * | kernel `Sum`, `Mean`                   | wasm       | wrapped: leading axes without a transpose     |
 * | kernel `Identity`                      | wasm       | replaced: shares the data (no copy), as cpu   |
 * | kernel `MaxPoolGrad`                   | cpu, wasm  | replaced: one tie rule (first maximum)        |
 * | kernel `MetaLearnMaxPoolGather`        | cpu, wasm  | added: the adjoint of `MaxPoolGrad`           |
 * | kernel `AvgPoolGrad`                   | cpu, wasm  | wrapped: divides by real pixels at borders    |
 * | gradient `Conv2DBackpropFilter`        | all        | added (bilinear: conv and conv-transpose)     |
 * | gradient `MaxPoolGrad`, `MetaLearnMaxPoolGather` | all | added (each other's adjoint)           |
 * | gradient `AvgPoolGrad`                 | all        | added (`AvgPool` of the upstream)             |
 *
 * The gradients of `Conv2D`, `Conv2DBackpropInput`, `MaxPool` and `AvgPool` themselves are
 * registered by the gradient fixes (gradients/register.ts).
 *
 * Idempotent: every config installed here carries a mark, and an entry that already holds a
 * marked config is left alone (so a wrapped original is never wrapped twice). Kernels for
 * `wasm` may be registered before the wasm backend is initialised.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HostBackendName } from './backend-io.js';
import { avgPoolGradGradConfig } from './grad-avg-pool-grad.js';
import { conv2dBackpropFilterGradConfig } from './grad-conv2d-backprop-filter.js';
import { maxPoolGatherGradConfig } from './grad-max-pool-gather.js';
import { maxPoolGradGradConfig } from './grad-max-pool-grad.js';
import { avgPoolGradKernel } from './kernel-avg-pool-grad.js';
import { conv2dBackpropFilterWasm } from './kernel-conv2d-backprop-filter-wasm.js';
import { conv2dBackpropInputWasm } from './kernel-conv2d-backprop-input-wasm.js';
import { batchMatMulWasm } from './kernel-batch-matmul-wasm.js';
import { batchMatMulCpuKernel } from './kernel-batch-matmul-cpu.js';
import { fusedMatMulWasm } from './kernel-fused-matmul-wasm.js';
import { leadingAxesReductionWasm } from './kernel-reduce-leading-axes-wasm.js';
import { identityWasm } from './kernel-identity-wasm.js';
import { MAX_POOL_GATHER, maxPoolGatherKernel } from './kernel-max-pool-gather.js';
import { maxPoolGradKernel } from './kernel-max-pool-grad.js';

/** Marks a registry entry as installed by metalearn (shared by every copy of the package). */
const MARK = Symbol.for('@metalearn/core/kernelFix');

/** The backends whose kernels are fixed here (the ones whose memory TypeScript can read). */
export const KERNEL_FIX_BACKENDS: readonly HostBackendName[] = ['cpu', 'wasm'];

/** The gradients registered here. */
export const KERNEL_GRADIENT_CONFIGS: readonly tf.GradConfig[] = [
  conv2dBackpropFilterGradConfig,
  maxPoolGradGradConfig,
  maxPoolGatherGradConfig,
  avgPoolGradGradConfig,
];

function isMarked(config: object | undefined): boolean {
  return config !== undefined && (config as Record<symbol, unknown>)[MARK] === true;
}

function marked<T extends object>(config: T): T {
  return Object.assign(config, { [MARK]: true });
}

/** Puts `config` in the kernel registry in place of whatever is there, unless a marked one is. */
function installKernel(config: tf.KernelConfig): void {
  const existing = tf.getKernel(config.kernelName, config.backendName);
  if (isMarked(existing)) return;
  if (existing !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(marked(config));
}

/** Wraps the registered `AvgPoolGrad` of `backendName` (keeping its setup), once. */
function installAvgPoolGrad(backendName: HostBackendName): void {
  const original = tf.getKernel('AvgPoolGrad', backendName);
  if (original === undefined || isMarked(original)) return;
  const config: tf.KernelConfig = { kernelName: 'AvgPoolGrad', backendName, kernelFunc: avgPoolGradKernel(backendName, original.kernelFunc) };
  if (original.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  if (original.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
  installKernel(config);
}

/** Registers the added kernels and their gradients (idempotent). */
export function registerKernelFixes(): void {
  installKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterWasm });
  installKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInputWasm });
  installKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMulWasm });
  installKernel({ kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: fusedMatMulWasm });
  installKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityWasm });
  const cpuMatMul = tf.getKernel('BatchMatMul', 'cpu');
  if (cpuMatMul !== undefined && !isMarked(cpuMatMul)) installKernel({ kernelName: 'BatchMatMul', backendName: 'cpu', kernelFunc: batchMatMulCpuKernel(cpuMatMul.kernelFunc) });
  for (const name of ['Sum', 'Mean']) {
    const reduction = tf.getKernel(name, 'wasm');
    if (reduction !== undefined && !isMarked(reduction)) installKernel(leadingAxesReductionWasm(reduction));
  }
  for (const backendName of KERNEL_FIX_BACKENDS) {
    installKernel({ kernelName: 'MaxPoolGrad', backendName, kernelFunc: maxPoolGradKernel(backendName) });
    installKernel({ kernelName: MAX_POOL_GATHER, backendName, kernelFunc: maxPoolGatherKernel(backendName) });
    installAvgPoolGrad(backendName);
  }
  for (const config of KERNEL_GRADIENT_CONFIGS) {
    if (isMarked(tf.getGradient(config.kernelName))) continue;
    if (tf.getGradient(config.kernelName) !== undefined) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(marked(config));
  }
}
