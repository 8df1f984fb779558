/**
 * The inversify `ContainerModule` of @metalearn/imaml: binds this package's parts by name.
 */
import { pluginModule, type InnerSolverPlugin, type PluginOptions } from '@metalearn/core';
import { createImplicitSolver, IMPLICIT_SOLVER } from './implicit-solver.js';
import { resolveImplicitSolverOptions, type ImplicitSolverOptions } from './options.js';

/**
 * iMAML's implicit inner solver as a plugin: `innerSolver` named `'implicit'`, for core's
 * `'backprop'` learner. Options ({@link ImplicitSolverOptions}) are validated with zod; an invalid
 * one throws MetaLearnError `invalidArgument` naming it and the value given.
 * @example resolvePlugin(createPluginContainer(imamlModule), 'innerSolver', 'implicit').create({ lambda: 2, innerSteps: 16, cgSteps: 5 });
 */
export const implicitSolverPlugin: InnerSolverPlugin = {
  kind: 'innerSolver',
  name: IMPLICIT_SOLVER,
  summary: 'iMAML: proximal inner problem solved off the tape (SGD/momentum/Nesterov/Adam), implicit meta-gradient by CG on Hessian-vector products (exact or finite-difference)',
  provider: '@metalearn/imaml',
  create(options: PluginOptions | undefined) {
    resolveImplicitSolverOptions(options, `innerSolver '${IMPLICIT_SOLVER}'`);
    return createImplicitSolver((options ?? {}) as ImplicitSolverOptions);
  },
};

/** Binds every part @metalearn/imaml provides. Load it with `createPluginContainer(...)`. */
export const imamlModule = pluginModule([implicitSolverPlugin]);
