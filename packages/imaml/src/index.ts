// @metalearn/imaml — public surface (re-exports only).
export * from './conjugate-gradient.js';
export * from './flat-params.js';
export * from './proximal.js';
export * from './implicit-gradient.js';
export * from './options.js';
export * from './implicit-solver.js';
export * from './module.js';
