// @metalearn/reptile — public surface (re-exports only).
export * from './options.js';
export * from './schedule.js';
export * from './minibatches.js';
export * from './inner-loop.js';
export * from './outer-update.js';
export * from './predictor.js';
export * from './reptile-learner.js';
export * from './module.js';
