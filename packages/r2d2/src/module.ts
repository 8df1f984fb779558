/**
 * The inversify `ContainerModule` of @metalearn/r2d2: binds this package's parts by name.
 */
import { pluginModule, type InnerSolverPlugin, type PluginOptions } from '@metalearn/core';
import { createRidgeSolver } from './ridge-solver.js';
import { resolveRidgeSolverOptions, type RidgeSolverOptions } from './options.js';

/**
 * R2-D2's closed-form ridge-regression head as a plugin: `innerSolver` named `'ridge'`. Options
 * ({@link RidgeSolverOptions}) are validated with zod; an invalid one throws MetaLearnError
 * `invalidArgument` naming it.
 * @example resolvePlugin(createPluginContainer(r2d2Module), 'innerSolver', 'ridge').create({ lambdaInit: 0.5 });
 */
export const ridgeSolverPlugin: InnerSolverPlugin = {
  kind: 'innerSolver',
  name: 'ridge',
  summary: 'R2-D2: closed-form ridge regression on the backbone features (Woodbury when N_s < D), learned log λ, scale α and offset β',
  provider: '@metalearn/r2d2',
  create(options: PluginOptions | undefined) {
    resolveRidgeSolverOptions(options, "innerSolver 'ridge'");
    return createRidgeSolver((options ?? {}) as RidgeSolverOptions);
  },
};

/** Binds every part @metalearn/r2d2 provides. Load it with `createPluginContainer(...)`. */
export const r2d2Module = pluginModule([ridgeSolverPlugin]);
