/**
 * The inversify `ContainerModule` of @metalearn/reptile: binds this package's parts by name.
 */
import { pluginModule, type LearnerArgs, type LearnerPlugin } from '@metalearn/core';
import { createReptileLearner, REPTILE_LEARNER } from './reptile-learner.js';
import { resolveReptileOptions, type ReptileOptions } from './options.js';

/**
 * Reptile as a learner (outer rule) plugin named `'reptile'`. `create({ backbone, head, task,
 * seed, options })` with `options` validated by zod ({@link ReptileOptions}: `outerLr` required);
 * an invalid one throws MetaLearnError `invalidArgument` naming it. Reptile's inner loop (SGD or
 * Adam on mini-batches, its options) is part of its outer rule: `args.solver` is not used, whatever
 * solver the composition names.
 * @example resolvePlugin(createPluginContainer(coreModule, reptileModule), 'learner', 'reptile').create({ backbone, head, solver, task, seed: 0, options: { outerLr: 0.1 } });
 */
export const reptileLearnerPlugin: LearnerPlugin = {
  kind: 'learner',
  name: REPTILE_LEARNER,
  summary: 'Reptile: per task k steps of SGD or Adam (moments reset per task) on mini-batches, then theta += epsilon (mean phi - theta), epsilon annealed linearly; transductive or per-example evaluation; its own inner loop (the composed solver is not used)',
  provider: '@metalearn/reptile',
  create(args: LearnerArgs) {
    // Validated here first, so that messages name the plugin: "learner 'reptile': options.innerLr: ...".
    resolveReptileOptions(args.options ?? {}, `learner '${REPTILE_LEARNER}'`);
    return createReptileLearner({ backbone: args.backbone, head: args.head, task: args.task, seed: args.seed, ...(args.options as unknown as ReptileOptions) });
  },
};

/** Binds every part @metalearn/reptile provides. Load it with `createPluginContainer(...)`. */
export const reptileModule = pluginModule([reptileLearnerPlugin]);
