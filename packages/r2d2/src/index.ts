// @metalearn/r2d2 — public surface (re-exports only).
export * from './ridge-regression.js';
export * from './options.js';
export * from './ridge-solver.js';
export * from './module.js';
