/**
 * The learner plugins of core: the `ContainerModule` that binds the backprop learner as learner
 * `'backprop'`. Separate from core's own module of backbones and heads; load both.
 */
import { pluginModule, type LearnerArgs, type LearnerPlugin } from '../plugins.js';
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

/** Binds core's learners (`'backprop'`). Load it with `createPluginContainer(...)`. */
export const learnerModule = pluginModule([backpropLearnerPlugin]);
