/**
 * The inversify `ContainerModule` of @metalearn/core: binds core's standard parts by name.
 */
import { pluginModule } from './plugins.js';
import { mlpBackbonePlugin } from './backbones/mlp-plugin.js';
import { conv4BackbonePlugin } from './backbones/conv4-plugin.js';
import { linearHeadPlugin } from './heads/linear-plugin.js';
import { backpropLearnerPlugin } from './learner/module.js';

/**
 * Binds core's backbones `'mlp'` and `'conv4'`, head `'linear'` and learner `'backprop'`.
 * @example
 * const container = createPluginContainer(coreModule, mamlModule);
 * const backbone = resolvePlugin(container, 'backbone', 'conv4').create({ inputShape: [28, 28, 1] });
 */
export const coreModule = pluginModule([mlpBackbonePlugin, conv4BackbonePlugin, linearHeadPlugin, backpropLearnerPlugin]);
