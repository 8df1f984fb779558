// @metalearn/core/testing — the conformance suite and its helpers (node:test).
export * from './synthetic-episode.js';
export * from './sinusoid-episodes.js';
export * from './meta-gradient.js';
export * from './finite-difference.js';
export * from './backends.js';
export * from './solver-conformance.js';
export * from './learner-conformance.js';
export * from './meta-objective-run.js';
export * from './task-batch-conformance.js';
