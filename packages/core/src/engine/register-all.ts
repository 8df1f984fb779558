/**
 * The single entry point with registration side effects: installs every engine fix (gradient
 * re-registrations, added kernels and gradients) into tfjs's registries. Idempotent.
 */
import { registerGradientFixes } from './gradients/register.js';
import { registerKernelFixes } from './kernels/register.js';

let installed = false;

/** Installs every engine fix once; later calls do nothing. */
export function installEngineFixes(): void {
  if (installed) return;
  registerGradientFixes();
  registerKernelFixes();
  installed = true;
}
