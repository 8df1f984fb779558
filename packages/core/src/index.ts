// @metalearn/core — public surface (re-exports only).
export * from './errors.js';
export * from './params.js';
export * from './episode.js';
export * from './backbone.js';
export * from './head.js';
export * from './inner-solver.js';
export * from './learner.js';
export * from './plugins.js';
export * from './random.js';
export * from './engine/index.js';
export * from './losses.js';
export * from './stop-gradient.js';
export * from './optim/index.js';
export * from './nn/index.js';
export * from './backbones/index.js';
export * from './heads/index.js';
export * from './model.js';
