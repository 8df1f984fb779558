/** Registers the added kernels and their gradients. */
export function registerKernelFixes(): void {}
