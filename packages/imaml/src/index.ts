// @metalearn/imaml — public surface (re-exports only).
export * from './conjugate-gradient.js';
export * from './flat-params.js';
export * from './proximal.js';
export * from './implicit-gradient-options.js';
export * from './implicit-gradient.js';
export * from './implicit-gradient-tasks.js';
export * from './implicit-solve.js';
export * from './task-conjugate-gradient.js';
export * from './task-hvp.js';
export * from './options.js';
export * from './implicit-solver.js';
export * from './task-batched.js';
export * from './module.js';
