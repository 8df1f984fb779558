/**
 * The inversify `ContainerModule` of @metalearn/datasets: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';
import { miniImageNetPlugin } from './plugins/mini-imagenet.js';
import { omniglotPlugin } from './plugins/omniglot.js';
import { sinusoidPlugin } from './plugins/sinusoid.js';

/** Every dataset plugin of this package: `'sinusoid'`, `'omniglot'`, `'mini-imagenet'`. */
export const datasetPlugins = [sinusoidPlugin, omniglotPlugin, miniImageNetPlugin] as const;

/** Binds every part @metalearn/datasets provides. Load it with `createPluginContainer(...)`. */
export const datasetsModule = pluginModule(datasetPlugins);
