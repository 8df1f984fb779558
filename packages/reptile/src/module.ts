/**
 * The inversify `ContainerModule` of @metalearn/reptile: binds this package's parts by name.
 */
import { MetaLearnError, pluginModule, type LearnerArgs, type LearnerPlugin } from '@metalearn/core';
import { createReptileLearner, REPTILE_LEARNER } from './reptile-learner.js';
import { resolveReptileOptions, type ReptileOptions } from './options.js';

/** The registry name of the solver Reptile's inner loop stands in for (@metalearn/maml's gradient solver). */
const GRADIENT_SOLVER = 'gradient';

/**
 * Reptile as a learner (outer rule) plugin named `'reptile'`. `create({ backbone, head, solver,
 * task, seed, options })` with `options` validated by zod ({@link ReptileOptions}: `outerLr`
 * required); an invalid one throws MetaLearnError `invalidArgument` naming it.
 *
 * Reptile's inner loop (plain SGD or Adam on every parameter, on mini-batches; its own options)
 * is part of its outer rule and stands in for the gradient solver: the composition's solver must
 * be `'gradient'` (its options are not read: Reptile's `innerSteps`, `innerLr`, ... apply). Any
 * other solver (a closed-form head, a context-only or implicit solver, a third party's) has no
 * place in Reptile's update and is refused with MetaLearnError `unsupported`, rather than dropped
 * silently.
 * @example resolvePlugin(createPluginContainer(coreModule, mamlModule, reptileModule), 'learner', 'reptile')
 *   .create({ backbone, head, solver: gradientSolver, task, seed: 0, options: { outerLr: 0.1, innerOptimizer: 'sgd' } });
 */
export const reptileLearnerPlugin: LearnerPlugin = {
  kind: 'learner',
  name: REPTILE_LEARNER,
  summary: "Reptile: per task k steps of SGD or Adam (moments reset per task) on mini-batches, then theta += epsilon (mean phi - theta), epsilon annealed linearly; transductive or per-example evaluation; its inner loop stands in for the 'gradient' solver",
  provider: '@metalearn/reptile',
  create(args: LearnerArgs) {
    const caller = `learner '${REPTILE_LEARNER}'`;
    // Validated here first, so that messages name the plugin: "learner 'reptile': options.innerLr: ...".
    resolveReptileOptions(args.options ?? {}, caller);
    const solverName = (args.solver as { name?: unknown } | undefined)?.name;
    if (solverName !== GRADIENT_SOLVER) {
      throw new MetaLearnError('unsupported', `${caller}: runs its own gradient-descent inner loop (options innerOptimizer, innerSteps, innerLr, innerBatchSize, ...) in place of the '${GRADIENT_SOLVER}' solver; compose it with solver '${GRADIENT_SOLVER}', got solver ${JSON.stringify(solverName)}`);
    }
    return createReptileLearner({ backbone: args.backbone, head: args.head, task: args.task, seed: args.seed, ...(args.options as unknown as ReptileOptions) });
  },
};

/** Binds every part @metalearn/reptile provides. Load it with `createPluginContainer(...)`. */
export const reptileModule = pluginModule([reptileLearnerPlugin]);
