/**
 * The learner plugin of core: the backprop learner as learner `'backprop'`, bound by core's one
 * `ContainerModule` (module.ts) with the backbones and the head.
 */
import type { LearnerArgs, LearnerPlugin } from '../plugins.js';
import { createLearner, BACKPROP_LEARNER } from './backprop-learner.js';
import { parseOuterLoopOptions } from './options.js';

/**
 * The backprop learner as a plugin. `create({ backbone, head, solver, task, seed, options })`
 * with `options` validated by zod ({@link outerLoopOptionsSchema}: `outerLr` required,
 * `optimizer`, `outerLrSchedule`, `totalSteps`, `minLr`, `gradClip`).
 */
export const backpropLearnerPlugin: LearnerPlugin = {
  kind: 'learner',
  name: BACKPROP_LEARNER,
  summary: 'Backpropagation through the inner solver (MAML outer loop): Adam or SGD, constant or cosine-annealed outer lr, global-norm clipping',
  provider: '@metalearn/core',
  create(args: LearnerArgs) {
    const options = parseOuterLoopOptions(args.options ?? {}, `learner '${BACKPROP_LEARNER}'`);
    return createLearner({ backbone: args.backbone, head: args.head, solver: args.solver, task: args.task, seed: args.seed, ...options });
  },
};
