// @metalearn/r2d2 — public surface (re-exports only).
export * from './module.js';
