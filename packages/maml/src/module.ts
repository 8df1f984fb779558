/**
 * The inversify `ContainerModule` of @metalearn/maml: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/maml provides. Load it with `createPluginContainer(...)`. */
export const mamlModule = pluginModule([]);
