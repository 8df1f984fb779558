// @metalearn/cavia — public surface (re-exports only).
export * from './module.js';
