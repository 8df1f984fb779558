// Engine: backend selection, engine fixes, checks.
export * from './backend.js';
export * from './register-all.js';
export * from './check.js';
export * from './linalg/cholesky.js';
export * from './linalg/cholesky-solve.js';
export * from './linalg/triangular-solve.js';
export * from './linalg/solve.js';
export * from './linalg/spd-inverse.js';
export * from './linalg/checks.js';
export * from './hvp.js';
export * from './gradients/checks.js';
export * from './kernels/checks.js';
export * from './kernels/matmul-checks.js';
export * from './detach.js';
export * from './without-tape.js';
