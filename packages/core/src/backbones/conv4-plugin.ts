/**
 * The `'conv4'` backbone plugin.
 */
import { z } from 'zod';
import type { BackbonePlugin } from '../plugins.js';
import { ACTIVATIONS, type ActivationName } from '../nn/activation.js';
import { createConv4, type Conv4Options } from './conv4.js';
import { parseOptions } from '../options.js';

/** Options of the `'conv4'` plugin: those of {@link createConv4} except `inputShape`. */
export const conv4PluginOptionsSchema = z.strictObject({
  filters: z.number().int().min(1).optional(),
  variant: z.enum(['strided', 'maxpool']).optional(),
  pooling: z.enum(['mean', 'flatten']).optional(),
  blocks: z.number().int().min(1).optional(),
  activation: z.enum(ACTIVATIONS as [string, ...string[]]).optional(),
  batchNorm: z.boolean().optional(),
  normScale: z.boolean().optional(),
  normEpsilon: z.number().positive().finite().optional(),
  normSteps: z.number().int().min(1).optional(),
  contextDim: z.number().int().min(0).optional(),
  filmBlock: z.number().int().min(1).optional(),
});

/**
 * `'conv4'`: {@link createConv4} on `inputShape = [H, W, C]`.
 * @throws MetaLearnError `invalidArgument` on a bad input shape or a bad or unknown option.
 */
export const conv4BackbonePlugin: BackbonePlugin = {
  kind: 'backbone',
  name: 'conv4',
  summary: '4 blocks of 3x3 conv + batch norm + ReLU (strided for 28x28, max-pooled for 84x84); options filters, variant, pooling, blocks, activation, batchNorm, normScale, normEpsilon, normSteps, contextDim and filmBlock (FiLM context, CAVIA)',
  provider: '@metalearn/core',
  create({ inputShape, options }) {
    const o = parseOptions(conv4PluginOptionsSchema, options ?? {}, 'conv4 plugin');
    return createConv4({ ...o, inputShape, activation: o.activation as ActivationName | undefined } as Conv4Options);
  },
};
