// Functional layers: pure functions over tensors and Params.
export * from './init.js';
export * from './activation.js';
export * from './dense.js';
export * from './conv2d.js';
export * from './pool.js';
export * from './batch-norm.js';
export * from './dense-tasks.js';
