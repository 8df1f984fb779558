/**
 * The inversify `ContainerModule` of @metalearn/datasets: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/datasets provides. Load it with `createPluginContainer(...)`. */
export const datasetsModule = pluginModule([]);
