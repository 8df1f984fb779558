/**
 * The inversify `ContainerModule` of @metalearn/metaoptnet: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/metaoptnet provides. Load it with `createPluginContainer(...)`. */
export const metaoptnetModule = pluginModule([]);
