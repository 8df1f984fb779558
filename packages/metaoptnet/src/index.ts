// @metalearn/metaoptnet — public surface (re-exports only).
export * from './quadratic-program.js';
export * from './svm-dual.js';
export * from './svm-dual-by-class.js';
export * from './kkt-residuals.js';
export * from './svm-objectives.js';
export * from './kkt-backward.js';
export * from './svm-dual-op.js';
export * from './svm-scores.js';
export * from './options.js';
export * from './svm-solver.js';
export * from './module.js';
