/**
 * The inversify `ContainerModule` of @metalearn/maml: binds this package's parts by name.
 */
import { pluginModule, type InnerSolverPlugin, type PluginOptions } from '@metalearn/core';
import { createGradientSolver } from './gradient-solver.js';
import { resolveGradientSolverOptions } from './options.js';

/**
 * The gradient-descent inner solver as a plugin: `innerSolver` named `'gradient'`. Options are
 * validated with zod ({@link gradientSolverOptionsSchema}); an invalid one throws
 * MetaLearnError `invalidArgument` naming it.
 */
export const gradientSolverPlugin: InnerSolverPlugin = {
  kind: 'innerSolver',
  name: 'gradient',
  summary: 'Gradient-descent inner loop: MAML (second/first order), Meta-SGD, ANIL (adapt pattern), MAML++ (LSLR, MSL, order annealing)',
  provider: '@metalearn/maml',
  create(options: PluginOptions | undefined) {
    resolveGradientSolverOptions(options, "innerSolver 'gradient'");
    return createGradientSolver(options ?? {});
  },
};

/** Binds every part @metalearn/maml provides. Load it with `createPluginContainer(...)`. */
export const mamlModule = pluginModule([gradientSolverPlugin]);
