// @metalearn/cavia — public surface (re-exports only).
export * from './options.js';
export * from './context-solver.js';
export * from './module.js';
