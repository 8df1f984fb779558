/**
 * The inversify `ContainerModule` of @metalearn/r2d2: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/r2d2 provides. Load it with `createPluginContainer(...)`. */
export const r2d2Module = pluginModule([]);
