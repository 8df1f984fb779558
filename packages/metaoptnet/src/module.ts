/**
 * The inversify `ContainerModule` of @metalearn/metaoptnet: binds this package's parts by name.
 */
import { pluginModule, type InnerSolverPlugin, type PluginOptions } from '@metalearn/core';
import { createSvmSolver } from './svm-solver.js';
import { resolveSvmSolverOptions, type SvmSolverOptions } from './options.js';

/**
 * MetaOptNet's multi-class SVM head as a plugin: `innerSolver` named `'svm'`. Options
 * ({@link SvmSolverOptions}: `C`, `ridge`, `scaleInit`, `learnScale`) are validated with zod; an
 * invalid one throws MetaLearnError `invalidArgument` naming it.
 * @example resolvePlugin(createPluginContainer(metaoptnetModule), 'innerSolver', 'svm').create({ C: 0.1 });
 */
export const svmSolverPlugin: InnerSolverPlugin = {
  kind: 'innerSolver',
  name: 'svm',
  summary: 'MetaOptNet: Crammer–Singer multi-class linear SVM head solved as a QP (quadprog), meta-trained through its KKT conditions; learned logit scale',
  provider: '@metalearn/metaoptnet',
  create(options: PluginOptions | undefined) {
    resolveSvmSolverOptions(options, "innerSolver 'svm'");
    return createSvmSolver((options ?? {}) as SvmSolverOptions);
  },
};

/** Binds every part @metalearn/metaoptnet provides. Load it with `createPluginContainer(...)`. */
export const metaoptnetModule = pluginModule([svmSolverPlugin]);
