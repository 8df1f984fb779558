/**
 * The `'mlp'` backbone plugin.
 */
import { z } from 'zod';
import { MetaLearnError } from '../errors.js';
import type { BackbonePlugin } from '../plugins.js';
import { ACTIVATIONS } from '../nn/activation.js';
import { createMlp } from './mlp.js';
import { parseOptions } from '../options.js';

const size = z.number().int().min(1);

/** Options of the `'mlp'` plugin: those of {@link createMlp} except `inputDim` (from `inputShape`). */
export const mlpPluginOptionsSchema = z.strictObject({
  hiddenSizes: z.array(size).optional(),
  activation: z.enum(ACTIVATIONS as [string, ...string[]]).optional(),
  contextDim: z.number().int().min(0).optional(),
  weightStd: z.number().positive().finite().optional(),
});

/**
 * `'mlp'`: {@link createMlp} with `inputDim = inputShape[0]`; `hiddenSizes` defaults to `[40, 40]`
 * (MAML's sinusoid network).
 * @throws MetaLearnError `invalidArgument` when `inputShape` is not `[D]` or an option is bad or unknown.
 */
export const mlpBackbonePlugin: BackbonePlugin = {
  kind: 'backbone',
  name: 'mlp',
  summary: 'fully connected network (MAML sinusoid: 1-40-40, ReLU); options hiddenSizes, activation, contextDim, weightStd',
  provider: '@metalearn/core',
  create({ inputShape, options }) {
    if (inputShape.length !== 1) {
      throw new MetaLearnError('invalidArgument', `mlp plugin: inputShape must be [D] (vector examples), got [${inputShape.join(', ')}]`);
    }
    const o = parseOptions(mlpPluginOptionsSchema, options ?? {}, 'mlp plugin');
    return createMlp({
      inputDim: inputShape[0]!,
      hiddenSizes: o.hiddenSizes ?? [40, 40],
      ...(o.activation !== undefined && { activation: o.activation as (typeof ACTIVATIONS)[number] }),
      ...(o.contextDim !== undefined && { contextDim: o.contextDim }),
      ...(o.weightStd !== undefined && { weightStd: o.weightStd }),
    });
  },
};
