// Standard backbones.
export * from './mlp.js';
