// The outer loop: the backprop learner, its options, task validation, checkpoints, plugin module.
export * from './backprop-learner.js';
export * from './objective.js';
export * from './options.js';
export * from './validate.js';
export * from './checkpoint.js';
export * from './module.js';
export * from './task-batch.js';
export * from './meta-gradient.js';
export * from './param-snapshot.js';
