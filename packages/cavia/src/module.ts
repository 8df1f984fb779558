/**
 * The inversify `ContainerModule` of @metalearn/cavia: binds this package's parts by name.
 */
import { pluginModule, type InnerSolverPlugin, type PluginOptions } from '@metalearn/core';
import { CONTEXT_SOLVER, createContextSolver } from './context-solver.js';
import { resolveContextSolverOptions } from './options.js';

/**
 * CAVIA's context solver as a plugin: `innerSolver` named `'context'`. Options
 * ({@link ContextSolverOptions}: `contextDim`, `innerSteps`, `evalInnerSteps`, `innerLr`, `order`)
 * are validated with zod; an invalid one throws MetaLearnError `invalidArgument` naming it. The
 * backbone must read a context of the same size (`'mlp'` or `'conv4'` with option `contextDim`);
 * one that takes none refuses it with MetaLearnError `unsupported`.
 * @example resolvePlugin(createPluginContainer(coreModule, caviaModule), 'innerSolver', 'context').create({ contextDim: 5 });
 */
export const contextSolverPlugin: InnerSolverPlugin = {
  kind: 'innerSolver',
  name: CONTEXT_SOLVER,
  summary: 'CAVIA: only a context vector (reset to zero per task, fed to the backbone: MLP input or Conv-4 FiLM) is adapted by gradient steps; theta is meta-trained (second or first order)',
  provider: '@metalearn/cavia',
  create(options: PluginOptions | undefined) {
    const o = resolveContextSolverOptions(options, `innerSolver '${CONTEXT_SOLVER}'`);
    return createContextSolver(o);
  },
};

/** Binds every part @metalearn/cavia provides. Load it with `createPluginContainer(...)`. */
export const caviaModule = pluginModule([contextSolverPlugin]);
