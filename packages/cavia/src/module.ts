/**
 * The inversify `ContainerModule` of @metalearn/cavia: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/cavia provides. Load it with `createPluginContainer(...)`. */
export const caviaModule = pluginModule([]);
