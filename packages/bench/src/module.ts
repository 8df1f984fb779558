/**
 * The inversify `ContainerModule` of @metalearn/bench: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/bench provides. Load it with `createPluginContainer(...)`. */
export const benchModule = pluginModule([]);
