// Outer-loop optimizers (pure functions over explicit state), schedules, clipping.
export * from './types.js';
export * from './adam.js';
export * from './sgd.js';
export * from './schedule.js';
export * from './clip.js';
