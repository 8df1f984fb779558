/**
 * The single entry point with registration side effects: installs every engine fix (gradient
 * re-registrations, added kernels and gradients) into tfjs's registries. Idempotent.
 */
import { registerGradientFixes } from './gradients/register.js';
import { registerKernelFixes } from './kernels/register.js';

let installed = false;

/**
 * Installs every engine fix once; later calls do nothing unless `force` is set.
 * @param force - install again, e.g. after loading `@tensorflow/tfjs-node`, whose bundled
 *   `@tensorflow/tfjs` registers tfjs's own gradients into the same global registry and would
 *   otherwise replace the fixed ones.
 */
export function installEngineFixes(force = false): void {
  if (installed && !force) return;
  registerGradientFixes();
  registerKernelFixes();
  installed = true;
}
