// Standard backbones.
export * from './mlp.js';
export * from './conv4.js';
export * from './mlp-plugin.js';
export * from './conv4-plugin.js';
