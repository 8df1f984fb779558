// @metalearn/maml — public surface (re-exports only).
export * from './options.js';
export * from './msl.js';
export * from './inner-lrs.js';
export * from './gradient-solver.js';
export * from './module.js';
