// Standard heads.
export * from './linear.js';
