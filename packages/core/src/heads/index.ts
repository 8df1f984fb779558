// Standard heads.
export * from './linear.js';
export * from './linear-plugin.js';
