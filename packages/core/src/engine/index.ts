// Engine: backend selection, engine fixes, checks.
export * from './backend.js';
export * from './register-all.js';
export * from './check.js';
