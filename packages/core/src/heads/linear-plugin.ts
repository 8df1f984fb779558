/**
 * The `'linear'` head plugin.
 */
import { z } from 'zod';
import type { HeadPlugin } from '../plugins.js';
import { parseOptions } from '../options.js';
import { createLinearHead, LINEAR_HEAD_INITS, type LinearHeadOptions } from './linear.js';

/** Options of the `'linear'` plugin: those of {@link createLinearHead}. */
export const linearHeadPluginOptionsSchema = z.strictObject({
  init: z.enum(LINEAR_HEAD_INITS as [string, ...string[]]).optional(),
  std: z.number().positive().finite().optional(),
  bias: z.boolean().optional(),
});

/**
 * `'linear'`: {@link createLinearHead}.
 * @throws MetaLearnError `invalidArgument` on a bad or unknown option.
 */
export const linearHeadPlugin: HeadPlugin = {
  kind: 'head',
  name: 'linear',
  summary: 'affine map of the features to logits or regression outputs; options init (truncatedNormal|normal|glorotUniform|zeros), std, bias',
  provider: '@metalearn/core',
  create(options) {
    return createLinearHead(parseOptions(linearHeadPluginOptionsSchema, options ?? {}, 'linear plugin') as LinearHeadOptions);
  },
};
